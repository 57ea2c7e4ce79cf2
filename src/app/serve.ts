/**
 * `persona serve` (what `npm start` runs): recover from any crash, start the scheduler, the
 * configured adapters (Discord with DISCORD_TOKEN, Slack with SLACK_BOT_TOKEN, the local
 * studio always) and the health endpoint. SIGINT/SIGTERM: stop accepting work, let in-flight
 * replies finish, checkpoint a running training (it resumes on the next run), close the store.
 */
import type { Config } from '../config/config.js';
import { logger } from '../log.js';
import { loadAllPersonas } from '../personas/load.js';
import { NodeCronDriver } from '../scheduler/cron.js';
import { jobHistory } from '../scheduler/history.js';
import { TrainingScheduler } from '../scheduler/scheduler.js';
import { openCore, type Core } from './core.js';
import { startHealthServer } from './health.js';
import { startAdapters, type RunningAdapter } from './adapters.js';
import { AppEvents } from './events.js';
import { ensureExampleTranscripts } from '../datasets/examples.js';

export interface Server {
  core: Core;
  events: AppEvents;
  scheduler: TrainingScheduler;
  adapters: RunningAdapter[];
  healthPort?: number;
  stop(): Promise<void>;
}

export async function serve(config: Config): Promise<Server> {
  const log = logger('serve');
  const core = await openCore(config);
  const personas = loadAllPersonas(config.PERSONAS_DIR);
  for (const persona of personas) {
    const fixed = [...(await core.registry.recover(persona.id)), ...(await jobHistory(core.store).recover(persona.id)).map((j) => `job ${j.id} marked interrupted`)];
    if (fixed.length) log.warn({ persona: persona.id, fixed }, 'recovered from an earlier crash');
  }
  // First run: the example personas' public-domain transcripts, written and ingested once.
  await ensureExampleTranscripts(config, core.store);
  const events = new AppEvents();
  core.registry.on('champion', (change) => events.emit('champion', change));
  const training = new AbortController();
  const scheduler = new TrainingScheduler(
    {
      config,
      store: core.store,
      registry: core.registry,
      engine: core.engine,
      signal: training.signal,
      onJob: (record) => void events.emit('job', record),
      onPhase: (persona, phase) => events.emit('phase', { persona, phase }),
      onTrainingEvent: (persona, event) => events.emit('training', { persona, event }),
    },
    new NodeCronDriver(),
  );
  scheduler.schedule(personas);
  let adapters: RunningAdapter[];
  try {
    adapters = await startAdapters(core, scheduler, events);
  } catch (error) {
    // e.g. the studio refusing an unprotected non-local address: stop what started, or its cron timers keep the process alive
    training.abort();
    await scheduler.stop();
    await core.close();
    throw error;
  }
  const health = config.HEALTH_PORT !== undefined
    ? await startHealthServer(config.HEALTH_PORT, '127.0.0.1', () => ({ adapters: adapters.map((a) => a.name), training: scheduler.status, models: core.engine.loadedModels }))
    : undefined;
  log.info({ adapters: adapters.map((a) => a.name), scheduled: scheduler.status.scheduled }, 'persona serve is running');

  let stopping: Promise<void> | undefined;
  return {
    core,
    events,
    scheduler,
    adapters,
    healthPort: health?.port,
    stop() {
      stopping ??= (async () => {
        await Promise.allSettled(adapters.map((adapter) => adapter.stop()));
        training.abort();
        await scheduler.stop();
        await health?.close();
        await core.close();
      })();
      return stopping;
    },
  };
}
