/**
 * Starts the platform adapters the configuration asks for: the local studio always, Discord
 * when DISCORD_TOKEN is set, Slack when SLACK_BOT_TOKEN is set. Discord and Slack share one
 * chat middleware (one reply queue, one set of rate limits) built over the real services;
 * this file only decides which adapters run and hands them those services. A bot whose
 * token is refused (or whose service cannot be reached) does not stop the rest: it is
 * listed as failed with the sentence to act on, logged, and the studio and the other bot run.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startDiscordAdapter } from '../adapters/discord/adapter.js';
import { startDiscordShards } from '../adapters/discord/sharding.js';
import { configToEnv } from '../config/config.js';
import { followTrainingJobs, slackServices, startSlackAdapter } from '../adapters/slack/index.js';
import { startStudio } from '../adapters/studio/server.js';
import type { TrainingScheduler } from '../scheduler/scheduler.js';
import { isPersonaError, PersonaError } from '../errors.js';
import { logger } from '../log.js';
import { servingChat } from './chat-services.js';
import type { Core } from './core.js';
import type { AppEvents } from './process-events.js';

export interface RunningAdapter {
  name: string;
  /** Where to reach it, when it has an address (the studio's URL). */
  url?: string;
  /** Set when the adapter could not start: why, in one sentence naming what to check. */
  failed?: string;
  stop(): Promise<void>;
}

/** Starts one bot; a failure becomes a `failed` entry (and a log line) instead of stopping serve. */
async function optional(name: string, start: () => Promise<RunningAdapter>): Promise<RunningAdapter> {
  try {
    return await start();
  } catch (error) {
    const failed = isPersonaError(error) ? error.message : `${name} did not start: ${(error as Error).message}.`;
    logger('serve').error({ adapter: name, err: failed }, `${name} did not start; the studio and the other adapters run without it`);
    return { name, failed, stop: async () => undefined };
  }
}

export async function startAdapters(core: Core, scheduler: TrainingScheduler, events: AppEvents): Promise<RunningAdapter[]> {
  const { config } = core;
  const running: RunningAdapter[] = [];
  try {
    const studio = await startStudio({ core, scheduler, events });
    running.push({ name: 'studio', url: studio.url, stop: studio.stop });

    if (config.DISCORD_TOKEN || config.SLACK_BOT_TOKEN) {
      const chat = servingChat(core, scheduler, (observation) => events.emit('reply', observation));
      if (config.DISCORD_TOKEN && config.DISCORD_SHARDS !== undefined) {
        const token = config.DISCORD_TOKEN;
        running.push(
          await optional('discord', async () => {
            const shards = await starting('Discord', 'DISCORD_TOKEN, DISCORD_API_URL and DISCORD_SHARDS', () =>
              startDiscordShards({ token, apiUrl: config.DISCORD_API_URL, shards: config.DISCORD_SHARDS!, ...shardEntry(), env: configToEnv(config) }),
            );
            return { name: `discord (${shards.count} shards)`, stop: shards.stop };
          }),
        );
      } else if (config.DISCORD_TOKEN) {
        running.push(
          await optional('discord', async () => {
            const discord = await starting('Discord', 'DISCORD_TOKEN and DISCORD_API_URL', () => startDiscordAdapter(config, { chat }));
            return { name: 'discord', stop: discord.stop };
          }),
        );
      }
      if (config.SLACK_BOT_TOKEN) {
        running.push(
          await optional('slack', async () => {
            const slack = await starting('Slack', 'SLACK_BOT_TOKEN, SLACK_APP_TOKEN / SLACK_SIGNING_SECRET and SLACK_API_URL', () =>
              startSlackAdapter(config, slackServices(core.store, chat, chat.services)),
            );
            followTrainingJobs(events, core.store, slack.notifyJob);
            return { name: `slack (${slack.mode})`, stop: slack.stop };
          }),
        );
      }
    }
  } catch (error) {
    await Promise.allSettled(running.map((adapter) => adapter.stop()));
    throw error;
  }
  return running;
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

/** An adapter's start failure as one sentence naming what to check. */
async function starting<T>(name: string, variables: string, start: () => Promise<T>): Promise<T> {
  try {
    return await start();
  } catch (error) {
    if (isPersonaError(error)) throw error;
    throw new PersonaError('config_invalid', `${name} did not start: ${(error as Error).message} (check ${variables}).`, { adapter: name }, { cause: error });
  }
}
