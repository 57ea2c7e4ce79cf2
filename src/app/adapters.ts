/**
 * Builds and starts the platform adapters the configuration asks for: the local studio
 * always, Discord when DISCORD_TOKEN is set, Slack when SLACK_BOT_TOKEN is set. All three
 * share one chat pipeline (one reply queue, one set of rate limits) over the real services,
 * and each is run through the PlatformAdapter contract only (start, stop, health). The studio
 * gets the narrow ports it declares (src/adapters/studio/ports.ts), built here. A bot whose
 * token is refused (or whose service cannot be reached) does not stop the rest: its health
 * says why in a sentence to act on, the failure is logged, and the studio and the other bot run.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DiscordAdapter } from '../adapters/discord/adapter.js';
import { DiscordShards } from '../adapters/discord/sharding.js';
import type { ChatMiddleware } from '../adapters/middleware/index.js';
import { followTrainingJobs, SlackAdapter, slackServices } from '../adapters/slack/index.js';
import type { StudioDeps } from '../adapters/studio/deps.js';
import { STUDIO_EVENTS, type StudioPersonaOps } from '../adapters/studio/ports.js';
import { StudioServer } from '../adapters/studio/server.js';
import type { PlatformAdapter } from '../adapters/types.js';
import { configToEnv } from '../config/config.js';
import { logger } from '../log.js';
import type { TrainingScheduler } from '../scheduler/scheduler.js';
import { servingChat } from './chat-services.js';
import { cardContents, importCard } from './persona-card.js';
import { copyPersona, type LifecycleDeps, personaDataSummary, removePersona, renamePersona } from './persona-lifecycle.js';
import type { Core } from './core.js';
import type { AppEventMap, AppEvents } from './process-events.js';

export interface ServingAdapters {
  /** The studio first, then the bots; a bot that failed to start is listed with its health saying why. */
  adapters: PlatformAdapter[];
  /** Stops every adapter (replies in flight finish), then the shared reply queue. */
  stop(): Promise<void>;
}

/** The ports the studio declares, from the core, the scheduler, the process events and the shared pipeline. */
export function studioPorts(core: Core, scheduler: TrainingScheduler, events: AppEvents, chat: ChatMiddleware): StudioDeps {
  return {
    data: { config: core.config, store: core.store, registry: core.registry },
    scheduler,
    events: { follow: (listener) => followEvents(events, STUDIO_EVENTS, listener) },
    chat: { pipeline: chat, feedback: chat.services.feedback },
    personas: personaOps({ config: core.config, store: core.store }),
  };
}

/** The CLI's whole-persona operations (lifecycle, character cards) for the studio. */
function personaOps(deps: LifecycleDeps): StudioPersonaOps {
  return {
    rename: (id, change) => renamePersona(deps, id, change),
    copy: (id, newId, options) => copyPersona(deps, id, newId, options),
    dataSummary: (id) => personaDataSummary(deps, id),
    remove: (id) => removePersona(deps, id),
    importCard: (upload, options) => importCard(deps, upload, options),
    cardContents: (id, format, spec) => cardContents(deps.config, id, format, spec),
  };
}

/** Subscribes `listener` to the named process events; returns the unsubscribe. */
function followEvents<N extends keyof AppEventMap>(events: AppEvents, names: readonly N[], listener: (event: N, payload: unknown) => void): () => void {
  const subscriptions = names.map((name) => [name, (payload: unknown) => listener(name, payload)] as const);
  for (const [name, forward] of subscriptions) events.on(name, forward as never);
  return () => {
    for (const [name, forward] of subscriptions) events.off(name, forward as never);
  };
}

/** The adapters the configuration asks for, the studio first, over one shared chat pipeline; nothing is started yet. */
export function buildAdapters(core: Core, scheduler: TrainingScheduler, events: AppEvents): ServingAdapters {
  const { config } = core;
  const chat = servingChat(core, scheduler, (observation) => events.emit('reply', observation));
  const adapters: PlatformAdapter[] = [new StudioServer(studioPorts(core, scheduler, events, chat))];
  if (config.DISCORD_TOKEN && config.DISCORD_SHARDS !== undefined) {
    adapters.push(
      new DiscordShards({
        token: config.DISCORD_TOKEN,
        apiUrl: config.DISCORD_API_URL,
        shards: config.DISCORD_SHARDS,
        ...shardEntry(),
        env: configToEnv(config),
      }),
    );
  } else if (config.DISCORD_TOKEN) {
    adapters.push(new DiscordAdapter(config, { chat }));
  }
  if (config.SLACK_BOT_TOKEN) adapters.push(new SlackAdapter(config, slackServices(core.store, chat, chat.services)));
  return {
    adapters,
    async stop() {
      await Promise.allSettled(adapters.map((adapter) => adapter.stop()));
      chat.close();
    },
  };
}

/**
 * Builds and starts the adapters: the studio must start (a refused binding or a taken port
 * ends serve, after stopping what started); a bot may fail alone.
 */
export async function startAdapters(core: Core, scheduler: TrainingScheduler, events: AppEvents): Promise<ServingAdapters> {
  const serving = buildAdapters(core, scheduler, events);
  const [studio, ...bots] = serving.adapters;
  try {
    await studio.start();
    for (const bot of bots) await startOrReport(bot);
  } catch (error) {
    await serving.stop();
    throw error;
  }
  for (const bot of bots) if (bot instanceof SlackAdapter && bot.health().ok) followTrainingJobs(events, core.store, bot.notifyJob);
  return serving;
}

/** Starts one bot; a failure stays in its health (and a log line) instead of stopping serve. */
async function startOrReport(adapter: PlatformAdapter): Promise<void> {
  try {
    await adapter.start();
  } catch {
    const { name, detail } = adapter.health();
    logger('serve').error({ adapter: name, err: detail }, `${name} did not start; the studio and the other adapters run without it`);
  }
}

/** The shard processes' entry: the compiled file, or the TypeScript source through tsx when running from source. */
function shardEntry(): { script: string; execArgv: string[] } {
  const here = fileURLToPath(import.meta.url);
  const fromSource = here.endsWith('.ts');
  return {
    script: join(dirname(here), fromSource ? 'discord-shard.ts' : 'discord-shard.js'),
    execArgv: fromSource ? ['--import', createRequire(import.meta.url).resolve('tsx')] : [],
  };
}
