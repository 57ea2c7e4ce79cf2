/**
 * Where training runs wait their turn. One process (the default): `LocalJobQueue`, an
 * in-memory queue that runs jobs here. Several processes or machines sharing Redis:
 * `BullJobQueue` (bullmq-queue.ts), whose trainer workers may live anywhere. Both dedupe a
 * persona that is already waiting or running, so callers get the pending run's result.
 */
import type { JobRecord } from './history.js';
import { runTrainingJob, type JobDeps, type JobOptions } from './job.js';
import { TrainingQueue } from './queue.js';

export interface QueueStatus {
  waiting: string[];
  running: string[];
}

export interface TrainingJobQueue {
  /**
   * Queues a run; resolves with its record when it ends. `slot` is the cron firing a scheduled
   * run belongs to: every replica that fires for the same persona and minute gets one job.
   */
  enqueue(personaId: string, options: JobOptions, slot?: Date): Promise<JobRecord>;
  /** Personas waiting and running (a snapshot; the shared queue refreshes it in the background). */
  readonly status: QueueStatus;
  /** Stops accepting work; a local queue waits for its running jobs. */
  close(): Promise<void>;
}

/** Runs jobs in this process, at most TRAINING_CONCURRENCY at once. */
export class LocalJobQueue implements TrainingJobQueue {
  private readonly queue: TrainingQueue<JobRecord>;
  private readonly pendingOptions = new Map<string, JobOptions>();

  constructor(deps: JobDeps) {
    this.queue = new TrainingQueue((personaId) => this.run(deps, personaId), deps.config.TRAINING_CONCURRENCY);
  }

  enqueue(personaId: string, options: JobOptions): Promise<JobRecord> {
    if (!this.pendingOptions.has(personaId)) this.pendingOptions.set(personaId, { ...options, queuedAt: Date.now() });
    return this.queue.enqueue(personaId);
  }

  get status(): QueueStatus {
    return this.queue.size;
  }

  close(): Promise<void> {
    return this.queue.close();
  }

  private run(deps: JobDeps, personaId: string): Promise<JobRecord> {
    const options = this.pendingOptions.get(personaId) ?? { reason: 'schedule' };
    this.pendingOptions.delete(personaId);
    if (options.queuedAt !== undefined) deps.onQueueWait?.((Date.now() - options.queuedAt) / 1000);
    return runTrainingJob(deps, personaId, options);
  }
}
