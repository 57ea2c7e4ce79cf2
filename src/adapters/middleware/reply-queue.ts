/**
 * The global reply queue: every adapter's generations go through one queue per process, run
 * at most `concurrency` at a time (the inference engine's own capacity), in arrival order.
 * When the engine still says it is busy (another caller, e.g. the studio or an evaluation,
 * holds the model) the task waits `busyRetryMs` and tries again. A queue longer than
 * `maxWaiting` refuses new work at once, so users hear "busy" instead of waiting forever.
 */
import { PersonaError, isPersonaError } from '../../errors.js';

export interface ReplyQueueOptions {
  concurrency?: number;
  maxWaiting?: number;
  busyRetryMs?: number;
  /** Give up on a task that stayed busy this long (default 2 min). */
  maxBusyWaitMs?: number;
}

type Task<T> = (signal: AbortSignal) => Promise<T>;

interface Waiting {
  start: () => void;
}

export class ReplyQueue {
  private readonly waiting: Waiting[] = [];
  private running = 0;
  private readonly controller = new AbortController();
  private readonly concurrency: number;
  private readonly maxWaiting: number;
  private readonly busyRetryMs: number;
  private readonly maxBusyWaitMs: number;

  constructor(options: ReplyQueueOptions = {}) {
    this.concurrency = Math.max(1, options.concurrency ?? 1);
    this.maxWaiting = options.maxWaiting ?? 100;
    this.busyRetryMs = options.busyRetryMs ?? 250;
    this.maxBusyWaitMs = options.maxBusyWaitMs ?? 120_000;
  }

  get size(): { waiting: number; running: number } {
    return { waiting: this.waiting.length, running: this.running };
  }

  /** Runs `task` when a slot is free; rejects with generation_busy when the queue is full or closed. */
  async run<T>(task: Task<T>): Promise<T> {
    if (this.controller.signal.aborted) throw new PersonaError('generation_aborted', 'The bot is shutting down.');
    if (this.running >= this.concurrency) {
      if (this.waiting.length >= this.maxWaiting) {
        throw new PersonaError('generation_busy', 'Too many replies are waiting for the model.', { waiting: this.waiting.length });
      }
      await new Promise<void>((start) => this.waiting.push({ start }));
    }
    this.running += 1;
    try {
      return await this.withBusyRetry(task);
    } finally {
      this.running -= 1;
      this.waiting.shift()?.start();
    }
  }

  /** Aborts running tasks (their signal fires) and refuses new ones. */
  close(): void {
    this.controller.abort();
    for (const next of this.waiting.splice(0)) next.start();
  }

  private async withBusyRetry<T>(task: Task<T>): Promise<T> {
    const startedAt = Date.now();
    for (;;) {
      if (this.controller.signal.aborted) throw new PersonaError('generation_aborted', 'The bot is shutting down.');
      try {
        return await task(this.controller.signal);
      } catch (error) {
        if (!isPersonaError(error, 'generation_busy') || Date.now() - startedAt > this.maxBusyWaitMs) throw error;
        await new Promise((resolve) => setTimeout(resolve, this.busyRetryMs));
      }
    }
  }
}
