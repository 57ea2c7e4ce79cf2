/**
 * One Discord shard's process, started by discord.js's ShardingManager (DISCORD_SHARDS; see
 * src/adapters/discord/sharding.ts) with the parent's configuration in its environment: the
 * Discord adapter over its own engine and chat middleware, answering the guilds of its
 * shards. Training requests go to the same queue as the parent's (the shared BullMQ queue
 * with a Redis store), and replies to generator workers when the parent's roles say so (its
 * PERSONA_ROLES come in the environment). The shard's metrics go to the parent on request, which
 * serves them with its own on /metrics. SIGTERM lets replies finish, then exits.
 */
import { DiscordAdapter } from '../adapters/discord/adapter.js';
import { METRICS_REQUEST } from '../adapters/discord/sharding.js';
import { loadConfig } from '../config/config.js';
import { configureLogger, logger } from '../log.js';
import { useExecutionProviders } from '../util/execution-providers.js';
import { servingChat } from './chat-services.js';
import { openCore } from './core.js';
import { Metrics } from './metrics.js';
import { PersonaFolder } from './persona-folder.js';
import { AppEvents } from './process-events.js';
import { startTraining } from './training-runner.js';

const config = loadConfig();
configureLogger(config.LOG_LEVEL);
useExecutionProviders(config.ORT_EXECUTION_PROVIDERS);
const log = logger('discord-shard');
const metrics = new Metrics();
const core = await openCore(config, { onModelLoad: metrics.modelLoaded, onGenerationWait: metrics.generationWaited });
const events = new AppEvents();
metrics.follow(events);
process.on('message', (message: { [METRICS_REQUEST]?: number }) => {
  const id = message?.[METRICS_REQUEST];
  if (id === undefined) return;
  void metrics.metricsJson().then((json) => process.send?.({ [METRICS_REQUEST]: id, metrics: json }));
});
const stopTraining = new AbortController();
const training = startTraining(core, events, new Set(['bots']), new PersonaFolder(config.PERSONAS_DIR), stopTraining.signal);
const chat = servingChat(core, training.scheduler, (observation) => events.emit('reply', observation));
const discord = new DiscordAdapter(config, { chat });
await discord.start();
log.info({ shards: discord.client.shard?.ids }, 'Discord shard ready');

process.once('SIGTERM', () => {
  void (async () => {
    await discord.stop();
    chat.close();
    stopTraining.abort();
    await training.stop();
    await core.close();
    process.exit(0);
  })();
});
