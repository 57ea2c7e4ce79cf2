/**
 * Scheduled retraining: one cron schedule per persona (from its persona file), each firing
 * into the training queue: in this process by default (at most TRAINING_CONCURRENCY at once),
 * or the shared BullMQ queue that trainer workers on any machine take jobs from.
 * Whether a fired job actually trains (enough new data, lock free) is the job's decision,
 * recorded in the job history with the reason. `persona serve` calls `schedule` again
 * whenever the persona folder changes (src/app/persona-folder.ts). A person's "train now"
 * (studio, Slack, Discord) goes through `startNow`, which checks the run first.
 */
import type { Persona } from '../personas/schema.js';
import { logger } from '../log.js';
import { resolveTraining } from '../training/trainer/settings.js';
import { personaMemoryPlan } from '../training/trainer/train-persona.js';
import { validateCron, type CronDriver } from './cron.js';
import type { JobDeps, JobOptions } from './job.js';
import type { JobRecord } from './history.js';
import { LocalJobQueue, type QueueStatus, type TrainingJobQueue } from './job-queue.js';

export class TrainingScheduler {
  private readonly queue: TrainingJobQueue;
  private readonly log = logger('scheduler');
  private readonly trainsHere: boolean;

  /**
   * `trainsHere`: whether this machine takes the queue's jobs (always with the local queue;
   * with the shared queue, when this process has the trainer role), so that its memory is
   * the one a run must fit in.
   */
  constructor(
    private readonly deps: JobDeps,
    private readonly driver: CronDriver,
    queue?: TrainingJobQueue,
    options: { trainsHere?: boolean } = {},
  ) {
    this.queue = queue ?? new LocalJobQueue(deps);
    this.trainsHere = queue === undefined || options.trainsHere === true;
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

  /**
   * A person's "train now": checked as `persona train` checks it before anything is queued —
   * the settings with their overrides, then, where this machine trains, the memory plan — so
   * a run that cannot start throws its PersonaError (`invalid_argument`, `training_memory`,
   * the base's `model_not_found`…) here, and no job is queued or recorded. A bots process
   * whose runs go to trainer workers elsewhere checks the settings only: its memory and
   * files are not the trainer's, whose own check refuses a run its machine cannot hold.
   * `finished` resolves with the job record when the run ends; its failure is logged here.
   */
  startNow(persona: Persona, options: JobOptions): { finished: Promise<JobRecord> } {
    if (this.trainsHere) personaMemoryPlan(this.deps.config, persona, options.overrides).check();
    else resolveTraining(persona, options.overrides);
    const finished = this.queue.enqueue(persona.id, options);
    finished.catch((error) => this.log.error({ persona: persona.id, err: (error as Error).message }, 'training run failed'));
    return { finished };
  }

  get status(): QueueStatus & { scheduled: string[] } {
    return { ...this.queue.status, scheduled: this.driver.keys() };
  }

  async stop(): Promise<void> {
    await this.driver.stop();
    await this.queue.close();
  }
}
