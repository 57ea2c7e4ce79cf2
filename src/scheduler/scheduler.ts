/**
 * Scheduled retraining: one cron schedule per persona (from its persona file), each firing
 * into the training queue: in this process by default (at most TRAINING_CONCURRENCY at once),
 * or the shared BullMQ queue that trainer workers on any machine take jobs from.
 * Whether a fired job actually trains (enough new data, lock free) is the job's decision,
 * recorded in the job history with the reason. `persona serve` calls `schedule` again
 * whenever the persona folder changes (src/app/persona-folder.ts).
 */
import type { Persona } from '../personas/schema.js';
import { logger } from '../log.js';
import { validateCron, type CronDriver } from './cron.js';
import type { JobDeps, JobOptions } from './job.js';
import type { JobRecord } from './history.js';
import { LocalJobQueue, type QueueStatus, type TrainingJobQueue } from './job-queue.js';

export class TrainingScheduler {
  private readonly queue: TrainingJobQueue;
  private readonly log = logger('scheduler');

  constructor(
    deps: JobDeps,
    private readonly driver: CronDriver,
    queue?: TrainingJobQueue,
  ) {
    this.queue = queue ?? new LocalJobQueue(deps);
  }

  /** (Re)installs the schedules of these personas; personas without `schedule.cron` get none. */
  schedule(personas: readonly Persona[]): void {
    for (const key of this.driver.keys()) this.driver.remove(key);
    for (const persona of personas) {
      const { cron, timezone, enabled } = persona.schedule;
      if (!cron || !enabled) continue;
      validateCron(cron, timezone, `persona "${persona.id}" field schedule.cron`);
      this.driver.add({ key: persona.id, expression: cron, timezone }, (firedAt) => {
        this.log.info({ persona: persona.id }, 'scheduled training fired');
        this.queue.enqueue(persona.id, { reason: 'schedule' }, firedAt).catch((error) => {
          this.log.error({ persona: persona.id, err: (error as Error).message }, 'training job failed');
        });
      });
    }
  }

  /** Queues a run now (a manual "train now"); resolves with its job record. */
  enqueue(personaId: string, options: JobOptions): Promise<JobRecord> {
    return this.queue.enqueue(personaId, options);
  }

  get status(): QueueStatus & { scheduled: string[] } {
    return { ...this.queue.status, scheduled: this.driver.keys() };
  }

  async stop(): Promise<void> {
    await this.driver.stop();
    await this.queue.close();
  }
}
