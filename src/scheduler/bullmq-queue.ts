/**
 * Training runs as BullMQ jobs on the shared Redis (the only module that imports bullmq), so
 * several `persona serve` replicas and `persona worker --role trainer` processes on any
 * machine share one queue:
 *
 * - Every replica's cron may fire; a scheduled run's job id is (persona, minute of the slot),
 *   so one slot makes one job. A persona waiting or running is deduplicated (BullMQ's
 *   deduplication id = persona): a second request gets the pending job, as in one process.
 * - A trainer worker takes `TRAINING_CONCURRENCY` jobs at a time. A worker that dies stops
 *   renewing the job's lock; BullMQ's stalled-job check hands the job to another worker,
 *   whose run resumes from the trainer's last checkpoint (DATA_DIR must be shared). The
 *   store's training lock still guarantees one run per persona: a job that finds it held
 *   fails with `training_locked` and is retried after a backoff.
 * - Progress travels through the job: the worker publishes job records, phases and training
 *   events with `updateProgress`; every process with a `BullJobQueue` re-emits them to its
 *   own listeners (the studio's live chart, Slack notices, hot swap of a new champion).
 */
import { Queue, QueueEvents, UnrecoverableError, Worker, type Job, type JobsOptions } from 'bullmq';
import { hostname } from 'node:os';
import { isPersonaError, type ErrorCode } from '../errors.js';
import { logger } from '../log.js';
import type { TrainingEvent } from '../training/trainer/loop.js';
import type { JobPhase, JobRecord } from './history.js';
import type { QueueStatus, TrainingJobQueue } from './job-queue.js';
import { runTrainingJob, type JobDeps, type JobOptions } from './job.js';

const QUEUE_NAME = 'training';
/** Key prefix in Redis, beside the store's `persona:` namespace. */
const PREFIX = 'persona-queue';
/** Completed and failed jobs stay a week, so a late replica's scheduled slot finds its job done. */
const KEEP_FINISHED = { age: 7 * 24 * 3600, count: 5000 };
const STATUS_REFRESH_MS = 1000;
/**
 * Failures another attempt would only repeat (the persona's settings, its data, the trainer's
 * memory): the job fails at once, with its record saying why, instead of five times over
 * minutes of backoff. Everything else (a held lock, an interrupted run, the store away) retries.
 */
const PERMANENT_FAILURES: readonly ErrorCode[] = [
  'training_memory',
  'invalid_argument',
  'dataset_empty',
  'persona_not_found',
  'persona_invalid',
  'training_diverged',
];

export interface TrainingJobData {
  personaId: string;
  options: Omit<JobOptions, 'signal'>;
}

/** What a worker publishes through `job.updateProgress`. */
export type TrainingProgress =
  | { kind: 'job'; record: JobRecord }
  | { kind: 'phase'; persona: string; phase: JobPhase }
  | { kind: 'training'; persona: string; event: TrainingEvent };

export interface SharedQueueOptions {
  /** redis:// URL of the shared Redis (the store's). */
  url: string;
  /**
   * How long a worker's hold on a job lasts without renewal: a dead worker's job is retried
   * after about this long. Long by default (TRAINING_JOB_LOCK_MS, 2 min) because the renewal
   * timer shares the event loop with training, whose model export and session creation run
   * synchronously for seconds on large bases: a lock shorter than that would hand a live
   * job to a second worker.
   */
  lockMs: number;
}

function connection(url: string) {
  // maxRetriesPerRequest null: BullMQ's blocking commands must wait for Redis to come back, not fail.
  return { url, maxRetriesPerRequest: null };
}

/** The redis:// URL training jobs go through, or undefined when the store is embedded (one process). */
export function sharedQueueUrl(storeUrl: string): string | undefined {
  return storeUrl.startsWith('redis:') || storeUrl.startsWith('rediss:') ? storeUrl : undefined;
}

/** Slot job ids: BullMQ refuses ':' in custom ids. */
export function scheduledJobId(personaId: string, slot: Date): string {
  return `schedule-${personaId}-${slot.toISOString().slice(0, 16).replace(/[-:T]/g, '')}`;
}

export class BullJobQueue implements TrainingJobQueue {
  private readonly queue: Queue<TrainingJobData, JobRecord>;
  private readonly events: QueueEvents;
  private readonly log = logger('queue');
  private snapshot: QueueStatus = { waiting: [], running: [] };
  private readonly refresh: NodeJS.Timeout;

  constructor(
    options: SharedQueueOptions,
    private readonly listeners: Pick<JobDeps, 'onJob' | 'onPhase' | 'onTrainingEvent'> = {},
  ) {
    this.queue = new Queue(QUEUE_NAME, { connection: connection(options.url), prefix: PREFIX });
    this.events = new QueueEvents(QUEUE_NAME, { connection: connection(options.url), prefix: PREFIX });
    this.events.on('progress', ({ data }) => this.relay(data as TrainingProgress));
    this.queue.on('error', (error) => this.log.warn({ err: error.message }, 'training queue connection error'));
    this.events.on('error', (error) => this.log.warn({ err: error.message }, 'training queue events connection error'));
    this.refresh = setInterval(() => void this.refreshStatus(), STATUS_REFRESH_MS);
    this.refresh.unref();
  }

  async enqueue(personaId: string, options: JobOptions, slot?: Date): Promise<JobRecord> {
    const { signal: _signal, ...serializable } = options;
    const jobOptions: JobsOptions = {
      deduplication: { id: personaId },
      attempts: 5,
      backoff: { type: 'exponential', delay: 5000 },
      removeOnComplete: KEEP_FINISHED,
      removeOnFail: KEEP_FINISHED,
      ...(slot ? { jobId: scheduledJobId(personaId, slot) } : {}),
    };
    const job = await this.queue.add('train', { personaId, options: serializable }, jobOptions);
    void this.refreshStatus();
    return job.waitUntilFinished(this.events);
  }

  get status(): QueueStatus {
    return this.snapshot;
  }

  /** Job counts by state (metrics). */
  counts(): Promise<Record<string, number>> {
    return this.queue.getJobCounts('waiting', 'active', 'delayed', 'completed', 'failed', 'prioritized');
  }

  async close(): Promise<void> {
    clearInterval(this.refresh);
    await Promise.allSettled([this.events.close(), this.queue.close()]);
  }

  private relay(progress: TrainingProgress): void {
    if (progress.kind === 'job') void this.listeners.onJob?.(progress.record);
    else if (progress.kind === 'phase') this.listeners.onPhase?.(progress.persona, progress.phase);
    else this.listeners.onTrainingEvent?.(progress.persona, progress.event);
  }

  private async refreshStatus(): Promise<void> {
    try {
      const [waiting, running] = await Promise.all([this.queue.getJobs(['waiting', 'delayed', 'prioritized']), this.queue.getJobs(['active'])]);
      this.snapshot = { waiting: waiting.map((job) => job.data.personaId), running: running.map((job) => job.data.personaId) };
    } catch {
      // Redis away: keep the last snapshot; the connection logs its own error.
    }
  }
}

export interface TrainingWorker {
  close(): Promise<void>;
}

/**
 * Takes training jobs from the shared queue and runs them here. `deps.onJob` etc. still see
 * this process's jobs; every process following the queue sees them through job progress.
 */
export interface WorkerOptions extends SharedQueueOptions {
  concurrency: number;
  /** How often this worker looks for jobs whose holder stopped renewing (default lockMs / 4, at most 15 s). */
  stalledCheckMs?: number;
}

export function startTrainingWorker(deps: JobDeps, options: WorkerOptions): TrainingWorker {
  const log = logger('trainer');
  const processor = async (job: Job<TrainingJobData, JobRecord>): Promise<JobRecord> => {
    const { personaId } = job.data;
    const publish = (progress: TrainingProgress) => void job.updateProgress(progress).catch(() => undefined);
    let lastStep = 0;
    const jobDeps: JobDeps = {
      ...deps,
      onJob: (record) => {
        publish({ kind: 'job', record });
        return deps.onJob?.(record);
      },
      onPhase: (persona, phase) => {
        publish({ kind: 'phase', persona, phase });
        deps.onPhase?.(persona, phase);
      },
      onTrainingEvent: (persona, event) => {
        // Step events at most twice a second through Redis; the rest (start, eval, end) always.
        const now = Date.now();
        if (event.type !== 'step' || now - lastStep >= 500) {
          if (event.type === 'step') lastStep = now;
          publish({ kind: 'training', persona, event });
        }
        deps.onTrainingEvent?.(persona, event);
      },
    };
    log.info({ persona: personaId, job: job.id, attempt: job.attemptsMade + 1, host: hostname() }, 'training job taken');
    // The wait before the first attempt only (a retry's includes the attempts before it). job.timestamp
    // is the queueing process's clock: across machines the wait is as exact as their clocks agree.
    if (job.attemptsMade === 0 && job.stalledCounter === 0) deps.onQueueWait?.(Math.max(0, Date.now() - job.timestamp) / 1000);
    const attemptOf = { createdAt: job.timestamp, queueId: String(job.id) };
    try {
      return await runTrainingJob(jobDeps, personaId, { ...job.data.options, whenLocked: 'error', attemptOf });
    } catch (error) {
      if (isPersonaError(error) && PERMANENT_FAILURES.includes(error.code)) throw new UnrecoverableError(error.message);
      throw error;
    }
  };
  const worker = new Worker<TrainingJobData, JobRecord>(QUEUE_NAME, processor, {
    connection: connection(options.url),
    prefix: PREFIX,
    concurrency: options.concurrency,
    lockDuration: options.lockMs,
    // Cheap (one script call), so checked more often than locks lapse.
    stalledInterval: options.stalledCheckMs ?? Math.min(15_000, Math.max(1000, Math.floor(options.lockMs / 4))),
    maxStalledCount: 3,
  });
  worker.on('failed', (job, error) => {
    const level = isPersonaError(error, 'training_locked') ? 'info' : 'error';
    log[level]({ persona: job?.data.personaId, job: job?.id, err: error.message }, 'training job failed');
  });
  worker.on('error', (error) => log.warn({ err: error.message }, 'trainer worker connection error'));
  return {
    async close() {
      await worker.close();
    },
  };
}
