/**
 * Scheduled retraining: one cron schedule per persona (from its persona file), each firing
 * into the training queue, which runs jobs in order at most TRAINING_CONCURRENCY at once.
 * Whether a fired job actually trains (enough new data, lock free) is the job's decision,
 * recorded in the job history with the reason.
 */
import type { Persona } from '../personas/schema.js';
import { logger } from '../log.js';
import { validateCron, type CronDriver } from './cron.js';
import { runTrainingJob, type JobDeps, type JobOptions } from './job.js';
import type { JobRecord } from './history.js';
import { TrainingQueue } from './queue.js';

export class TrainingScheduler {
  private readonly queue: TrainingQueue<JobRecord>;
  private readonly log = logger('scheduler');
  private pendingOptions = new Map<string, JobOptions>();

  constructor(
    private readonly deps: JobDeps,
    private readonly driver: CronDriver,
  ) {
    this.queue = new TrainingQueue((personaId) => this.run(personaId), deps.config.TRAINING_CONCURRENCY);
  }

  /** (Re)installs the schedules of these personas; personas without `schedule.cron` get none. */
  schedule(personas: readonly Persona[]): void {
    for (const key of this.driver.keys()) this.driver.remove(key);
    for (const persona of personas) {
      const { cron, timezone, enabled } = persona.schedule;
      if (!cron || !enabled) continue;
      validateCron(cron, timezone, `persona "${persona.id}" field schedule.cron`);
      this.driver.add({ key: persona.id, expression: cron, timezone }, () => {
        this.log.info({ persona: persona.id }, 'scheduled training fired');
        this.enqueue(persona.id, { reason: 'schedule' }).catch(() => undefined);
      });
    }
  }

  /** Queues a run now (a manual "train now"); resolves with its job record. */
  enqueue(personaId: string, options: JobOptions): Promise<JobRecord> {
    if (!this.pendingOptions.has(personaId)) this.pendingOptions.set(personaId, options);
    return this.queue.enqueue(personaId);
  }

  get status(): { waiting: string[]; running: string[]; scheduled: string[] } {
    return { ...this.queue.size, scheduled: this.driver.keys() };
  }

  async stop(): Promise<void> {
    await this.driver.stop();
    await this.queue.close();
  }

  private async run(personaId: string): Promise<JobRecord> {
    const options = this.pendingOptions.get(personaId) ?? { reason: 'schedule' };
    this.pendingOptions.delete(personaId);
    try {
      return await runTrainingJob(this.deps, personaId, options);
    } catch (error) {
      this.log.error({ persona: personaId, err: (error as Error).message }, 'training job failed');
      throw error;
    }
  }
}
