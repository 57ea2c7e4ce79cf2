/**
 * Scheduled retraining: one cron schedule per persona (from its persona file), each firing
 * into the training queue: in this process by default (at most TRAINING_CONCURRENCY at once),
 * or the shared BullMQ queue that trainer workers on any machine take jobs from.
 * Whether a fired job actually trains (enough new data, lock free) is the job's decision,
 * recorded in the job history with the reason. The schedules follow the persona folder:
 * a persona created, renamed or removed by any process gets its entry installed or dropped.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { readPersonaDir } from '../personas/load.js';
import type { Persona } from '../personas/schema.js';
import { logger } from '../log.js';
import { validateCron, type CronDriver } from './cron.js';
import type { JobDeps, JobOptions } from './job.js';
import type { JobRecord } from './history.js';
import { LocalJobQueue, type QueueStatus, type TrainingJobQueue } from './job-queue.js';

/** How often the persona folder is checked for changes made elsewhere. */
export const PERSONA_DIR_POLL_MS = 2000;

/** The persona files' names, sizes and modification times: what changes when one is created, renamed, edited or removed. */
function personaDirSignature(dir: string): string {
  try {
    return readdirSync(dir)
      .filter((name) => /\.ya?ml$/.test(name))
      .sort()
      .map((name) => {
        const stat = statSync(join(dir, name), { throwIfNoEntry: false });
        return `${name}:${stat?.size}:${stat?.mtimeMs}`;
      })
      .join('|');
  } catch {
    return ''; // no folder (yet): no personas
  }
}

export class TrainingScheduler {
  private readonly queue: TrainingJobQueue;
  private readonly log = logger('scheduler');
  private following?: NodeJS.Timeout;

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

  /**
   * Reinstalls the schedules whenever the persona files change: `persona rename|create|remove`
   * in another process, the studio, an editor, or a replica sharing the folder. The folder is
   * polled rather than watched: inotify does not see changes made by another machine on a
   * shared volume, and a poll costs one readdir and a stat per persona file.
   */
  followPersonaDir(dir: string, everyMs = PERSONA_DIR_POLL_MS): void {
    let seen = personaDirSignature(dir);
    clearInterval(this.following);
    this.following = setInterval(() => {
      const now = personaDirSignature(dir);
      if (now === seen) return;
      seen = now;
      const { personas, broken } = readPersonaDir(dir);
      for (const { id, file, error } of broken) this.log.error({ persona: id, file, code: error.code, err: error.message }, 'persona file skipped: fix it');
      try {
        this.schedule(personas);
        this.log.info({ scheduled: this.driver.keys() }, 'persona files changed: schedules reinstalled');
      } catch (error) {
        this.log.error({ err: (error as Error).message }, 'schedules not reinstalled');
      }
    }, everyMs);
    this.following.unref();
  }

  /** Queues a run now (a manual "train now"); resolves with its job record. */
  enqueue(personaId: string, options: JobOptions): Promise<JobRecord> {
    return this.queue.enqueue(personaId, options);
  }

  get status(): QueueStatus & { scheduled: string[] } {
    return { ...this.queue.status, scheduled: this.driver.keys() };
  }

  async stop(): Promise<void> {
    clearInterval(this.following);
    await this.driver.stop();
    await this.queue.close();
  }
}
