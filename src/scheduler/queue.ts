/**
 * Runs training jobs in arrival order, at most `concurrency` at once on this machine
 * (TRAINING_CONCURRENCY). A persona already queued or running is not queued twice: the
 * caller gets the pending run's promise instead. Cross-process exclusion is the store lock's
 * job (lock.ts); this queue only keeps one process from oversubscribing its cores.
 */

export type JobRunner<T> = (personaId: string) => Promise<T>;

interface Pending<T> {
  personaId: string;
  resolve: (value: T) => void;
  reject: (error: unknown) => void;
  promise: Promise<T>;
}

export class TrainingQueue<T> {
  private readonly waiting: Pending<T>[] = [];
  private readonly running = new Map<string, Promise<T>>();
  private closed = false;

  constructor(
    private readonly run: JobRunner<T>,
    private readonly concurrency = 1,
  ) {}

  /** Queues a run for the persona, or returns the one already queued or running. */
  enqueue(personaId: string): Promise<T> {
    const existing = this.running.get(personaId) ?? this.waiting.find((p) => p.personaId === personaId)?.promise;
    if (existing) return existing;
    if (this.closed) return Promise.reject(new Error('the training queue is closed'));
    let resolve!: (value: T) => void;
    let reject!: (error: unknown) => void;
    const promise = new Promise<T>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    this.waiting.push({ personaId, resolve, reject, promise });
    this.pump();
    return promise;
  }

  get size(): { waiting: string[]; running: string[] } {
    return { waiting: this.waiting.map((p) => p.personaId), running: [...this.running.keys()] };
  }

  /** Stops accepting work, drops what has not started, waits for what is running. */
  async close(): Promise<void> {
    this.closed = true;
    for (const pending of this.waiting.splice(0)) pending.reject(new Error('the training queue was closed before this run started'));
    await Promise.allSettled(this.running.values());
  }

  private pump(): void {
    while (this.running.size < this.concurrency && this.waiting.length > 0) {
      const next = this.waiting.shift()!;
      const promise = this.run(next.personaId);
      this.running.set(next.personaId, promise);
      promise.then(next.resolve, next.reject).finally(() => {
        this.running.delete(next.personaId);
        this.pump();
      });
    }
  }
}
