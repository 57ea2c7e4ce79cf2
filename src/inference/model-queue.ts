/**
 * Per-model admission: at most `concurrency` generations run on a model at once (ONNX Runtime
 * already uses every core for one run, so more in parallel only thrash), the rest wait in FIFO
 * order for at most `maxWaitMs`, and no more than `maxWaiting` may wait. Past either bound the
 * caller gets PersonaError('generation_busy') at once instead of an unbounded lag.
 */
import { PersonaError } from '../errors.js';

export interface QueueLimits {
  concurrency: number;
  maxWaiting: number;
  maxWaitMs: number;
}

interface Waiter {
  start: () => void;
  fail: (error: unknown) => void;
}

export class ModelQueue {
  private running = 0;
  private readonly waiting: Waiter[] = [];

  constructor(
    private readonly limits: QueueLimits,
    private readonly label = 'model',
  ) {}

  get pending(): number {
    return this.waiting.length;
  }

  async run<T>(task: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    await this.admit(signal);
    try {
      return await task();
    } finally {
      this.running--;
      this.waiting.shift()?.start();
    }
  }

  private admit(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(new PersonaError('generation_aborted', 'Generation was cancelled before it started.'));
    if (this.running < this.limits.concurrency && this.waiting.length === 0) {
      this.running++;
      return Promise.resolve();
    }
    if (this.waiting.length >= this.limits.maxWaiting) return Promise.reject(this.busy('the queue is full'));
    return new Promise<void>((resolve, reject) => {
      const cleanup = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        const at = this.waiting.indexOf(waiter);
        if (at >= 0) this.waiting.splice(at, 1);
      };
      const waiter: Waiter = {
        start: () => {
          cleanup();
          this.running++;
          resolve();
        },
        fail: (error) => {
          cleanup();
          reject(error);
        },
      };
      const timer = setTimeout(() => waiter.fail(this.busy(`no slot freed within ${this.limits.maxWaitMs} ms`)), this.limits.maxWaitMs);
      const onAbort = () => waiter.fail(new PersonaError('generation_aborted', 'Generation was cancelled while waiting for the model.'));
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(waiter);
    });
  }

  private busy(why: string): PersonaError {
    return new PersonaError('generation_busy', `The ${this.label} is busy with other replies (${why}); try again in a moment.`, {
      model: this.label,
      waiting: this.waiting.length,
    });
  }
}
