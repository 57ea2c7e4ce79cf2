/**
 * Training for `persona serve` and `persona worker`: the scheduler (cron triggers) and where
 * its jobs run. With the embedded store everything runs here; with a Redis store jobs go
 * through the shared BullMQ queue, this process takes them only with the `trainer` role, and
 * with the `bots` or `generator` role it follows every worker's progress (studio chart, Slack
 * notices, hot swap of a champion promoted elsewhere).
 */
import { logger } from '../log.js';
import { BullJobQueue, sharedQueueUrl, startTrainingWorker, type TrainingWorker } from '../scheduler/bullmq-queue.js';
import { NodeCronDriver } from '../scheduler/cron.js';
import type { JobDeps } from '../scheduler/job.js';
import { TrainingScheduler } from '../scheduler/scheduler.js';
import type { Core } from './core.js';
import type { PersonaFolder } from './persona-folder.js';
import type { AppEvents } from './process-events.js';
import type { Role } from './roles.js';

export interface Training {
  scheduler: TrainingScheduler;
  /** The shared queue, when jobs go through Redis (metrics read its counts). */
  shared?: BullJobQueue;
  stop(): Promise<void>;
}

export function startTraining(core: Core, events: AppEvents, roles: ReadonlySet<Role>, folder: PersonaFolder, signal: AbortSignal): Training {
  const { config } = core;
  const listeners: Pick<JobDeps, 'onJob' | 'onPhase' | 'onTrainingEvent'> = {
    onJob: (record) => void events.emit('job', record),
    onPhase: (persona, phase) => events.emit('phase', { persona, phase }),
    onTrainingEvent: (persona, event) => events.emit('training', { persona, event }),
  };
  const deps: JobDeps = { config, store: core.store, registry: core.registry, engine: core.engine, signal, onQueueWait: core.hooks.onTrainingWait };
  const url = sharedQueueUrl(config.storeUrl);
  let shared: BullJobQueue | undefined;
  let worker: TrainingWorker | undefined;
  if (url) {
    const options = { url, lockMs: config.TRAINING_JOB_LOCK_MS };
    // Serving roles (bots, generator) follow every job's progress (this process's included) through the queue.
    const follows = roles.has('bots') || roles.has('generator');
    shared = new BullJobQueue(options, follows ? listeners : {});
    if (follows) followRemotePromotions(core, events);
    if (roles.has('trainer'))
      worker = startTrainingWorker(follows ? deps : { ...deps, ...listeners }, { ...options, concurrency: config.TRAINING_CONCURRENCY });
  }
  const scheduler = new TrainingScheduler({ ...deps, ...listeners }, new NodeCronDriver(), shared, { trainsHere: roles.has('trainer') });
  if (roles.has('scheduler')) {
    scheduler.schedule(folder.current.personas);
    // Renames, creations, removals by the CLI, the studio or a replica (the serve process follows the folder).
    folder.onChange(({ personas }) => {
      scheduler.schedule(personas);
      logger('scheduler').info({ scheduled: scheduler.status.scheduled }, 'persona files changed: schedules reinstalled');
    });
  }
  return {
    scheduler,
    shared,
    async stop() {
      await worker?.close();
      await scheduler.stop();
    },
  };
}

/** A champion promoted by a worker elsewhere is loaded here ahead of the next reply. */
function followRemotePromotions(core: Core, events: AppEvents): void {
  events.on('job', (record) => {
    if (record.status !== 'promoted') return;
    void core.preloadChampion(record.persona);
  });
}
