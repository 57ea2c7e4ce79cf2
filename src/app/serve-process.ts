/**
 * `persona serve` (what `npm start` runs): recover from any crash, start the scheduler, the
 * configured adapters (Discord with DISCORD_TOKEN, Slack with SLACK_BOT_TOKEN, the local
 * studio always) and the health endpoint. SIGINT/SIGTERM: stop accepting work, let in-flight
 * replies finish, checkpoint a running training (it resumes on the next run), close the store.
 */
import type { Config } from '../config/config.js';
import { logger } from '../log.js';
import { jobHistory } from '../scheduler/history.js';
import type { TrainingScheduler } from '../scheduler/scheduler.js';
import { serveRoles, type Role } from './roles.js';
import { startTraining } from './training-runner.js';
import { openCore, type Core } from './core.js';
import { startHealthServer } from './health.js';
import { PersonaFolder } from './persona-folder.js';
import { Metrics } from './metrics.js';
import { useExecutionProviders } from '../util/execution-providers.js';
import { startAdapters, type ServingAdapters } from './adapters.js';
import { DiscordShards } from '../adapters/discord/sharding.js';
import { generationDepthFor, startGeneration } from './generator-worker.js';
import type { PlatformAdapter } from '../adapters/types.js';
import { AppEvents } from './process-events.js';
import { ensureExampleTranscripts } from '../datasets/examples.js';
import { onnxCacheDir } from '../modelfmt/onnx/folder-graph.js';
import { pruneOnnxCache } from '../modelfmt/onnx/onnx-cache.js';

export interface Server {
  core: Core;
  events: AppEvents;
  scheduler: TrainingScheduler;
  /** Every adapter this process runs, through the adapter contract (name, url, health). */
  adapters: PlatformAdapter[];
  healthPort?: number;
  roles: ReadonlySet<Role>;
  stop(): Promise<void>;
}

export interface ServeOptions {
  /** Overrides PERSONA_ROLES (`persona worker --role trainer`). */
  roles?: readonly string[];
}

export async function serve(config: Config, options: ServeOptions = {}): Promise<Server> {
  const log = logger('serve');
  const roles = serveRoles(config, options.roles);
  useExecutionProviders(config.ORT_EXECUTION_PROVIDERS);
  const metrics = new Metrics();
  // The roles resolved into the configuration: the chat engine choice and shard processes read them there.
  const core = await openCore(
    { ...config, PERSONA_ROLES: [...roles] },
    {
      onModelLoad: metrics.modelLoaded,
      onGenerationWait: metrics.generationWaited,
      onTrainingWait: metrics.trainingWaited,
    },
  );
  // Broken persona files are logged and skipped; the rest serve.
  const folder = new PersonaFolder(config.PERSONAS_DIR);
  for (const persona of folder.current.personas) {
    const fixed = [
      ...(await core.registry.recover(persona.id)),
      ...(await jobHistory(core.store).recover(persona.id)).map((j) => `job ${j.id} marked interrupted`),
    ];
    if (fixed.length) log.warn({ persona: persona.id, fixed }, 'recovered from an earlier crash');
  }
  // Exports of folders that are gone, or unused for a month, would otherwise stay forever.
  if (roles.has('bots')) {
    const pruned = pruneOnnxCache(onnxCacheDir(config.DATA_DIR));
    if (pruned.length) log.info({ pruned }, 'pruned the ONNX cache');
  }
  // First run: the example personas' public-domain transcripts, written and ingested once.
  if (roles.has('bots')) await ensureExampleTranscripts(config, core.store);
  const events = new AppEvents();
  metrics.follow(events);
  core.registry.on('champion', (change) => events.emit('champion', change));
  const training = new AbortController();
  const trainingRun = startTraining(core, events, roles, folder, training.signal);
  folder.follow(); // /health and the schedules follow persona files created, renamed, edited or removed while serving
  const { scheduler } = trainingRun;
  metrics.watchQueue(async () =>
    trainingRun.shared ? trainingRun.shared.counts() : { waiting: scheduler.status.waiting.length, active: scheduler.status.running.length },
  );
  const generator = startGeneration(core, roles);
  const generation = generationDepthFor(core.config, roles);
  if (generation) metrics.watchGenerationQueue(() => generation.counts());
  let running: ServingAdapters | undefined;
  try {
    running = roles.has('bots') ? await startAdapters(core, scheduler, events) : undefined;
  } catch (error) {
    // e.g. the studio refusing an unprotected non-local address: stop what started, or its cron timers keep the process alive
    folder.stop();
    await generator?.close();
    await generation?.close();
    training.abort();
    await trainingRun.stop();
    await core.close();
    throw error;
  }
  const adapters = running?.adapters ?? [];
  for (const adapter of adapters) if (adapter instanceof DiscordShards) metrics.addSource(() => adapter.shardMetrics());
  const health =
    config.HEALTH_PORT !== undefined
      ? await startHealthServer(config.HEALTH_PORT, '127.0.0.1', {
          adapters,
          report: () => ({
            training: scheduler.status,
            models: core.engine.loadedModels,
            // The folder as last read (every PERSONA_DIR_POLL_MS), not as it was at start.
            personas: {
              serving: folder.current.personas.map((p) => p.id),
              broken: folder.current.broken.map(({ id, file, error }) => ({ id, file, code: error.code, error: error.message })),
            },
          }),
          metrics: () => metrics.render(),
        })
      : undefined;
  log.info({ adapters: adapters.map((a) => a.health()), scheduled: scheduler.status.scheduled }, 'persona serve is running');

  let stopping: Promise<void> | undefined;
  return {
    core,
    events,
    scheduler,
    adapters,
    roles,
    healthPort: health?.port,
    stop() {
      stopping ??= (async () => {
        folder.stop();
        await running?.stop();
        await generator?.close();
        await generation?.close();
        training.abort();
        await trainingRun.stop();
        await health?.close();
        await core.close();
      })();
      return stopping;
    },
  };
}
