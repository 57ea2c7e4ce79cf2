/**
 * DISCORD_SHARDS: the bot through discord.js's ShardingManager, one child process per shard,
 * for bots in more guilds than one gateway connection may hold (Discord requires shards past
 * 2,500 guilds). Each child runs `script` (src/app/discord-shard.ts), a Discord-only bots
 * process; Discord routes each guild's events to one shard, so each guild is answered by
 * exactly one process. `auto` asks Discord's `/gateway/bot` (at DISCORD_API_URL) how many.
 */
import { REST, Routes, ShardingManager, type Shard } from 'discord.js';
import { logger } from '../../log.js';
import { LifecycleAdapter } from '../adapter-lifecycle.js';

export interface ShardOptions {
  token: string;
  apiUrl?: string;
  shards: 'auto' | number;
  /** The child's entry file and the node flags to run it with (e.g. a TypeScript loader). */
  script: string;
  execArgv: string[];
  /** Added to each child's environment (the parent's configuration). */
  env: Record<string, string>;
}

/**
 * The IPC message a shard process answers with its metrics (src/app/discord-shard.ts); the
 * serve process adds them into its `/metrics`, so one scrape covers every shard.
 */
export const METRICS_REQUEST = 'personaMetrics';
const METRICS_TIMEOUT_MS = 2000;

/** Discord allows one IDENTIFY per 5 s in each of `max_concurrency` buckets. */
const IDENTIFY_INTERVAL_MS = 5500;

/** Discord's recommended shard count and how many shards may log in at once (`/gateway/bot`). */
export async function gatewayLimits(token: string, apiUrl?: string): Promise<{ shards: number; maxConcurrency: number }> {
  const rest = new REST(apiUrl ? { api: apiUrl } : {}).setToken(token);
  const answer = (await rest.get(Routes.gatewayBot())) as { shards: number; session_start_limit?: { max_concurrency?: number } };
  return { shards: Math.max(1, answer.shards), maxConcurrency: Math.max(1, answer.session_start_limit?.max_concurrency ?? 1) };
}

/** The bot as one child process per shard; the PlatformAdapter `persona serve` runs with DISCORD_SHARDS. */
export class DiscordShards extends LifecycleAdapter<ShardingManager> {
  constructor(private readonly options: ShardOptions) {
    super('discord', 'DISCORD_TOKEN, DISCORD_API_URL and DISCORD_SHARDS');
  }

  protected async open(): Promise<ShardingManager> {
    const log = logger('discord-shards');
    const { options } = this;
    const limits = await gatewayLimits(options.token, options.apiUrl);
    const count = options.shards === 'auto' ? limits.shards : options.shards;
    const manager = new ShardingManager(options.script, {
      token: options.token,
      totalShards: count,
      mode: 'process',
      execArgv: options.execArgv,
      respawn: true,
    });
    manager.on('shardCreate', (shard: Shard) => {
      Object.assign(shard.env as Record<string, string>, options.env);
      shard.on('death', () => log.warn({ shard: shard.id }, 'Discord shard process exited; respawning'));
    });
    // Shards in different buckets may log in together; ShardingManager spaces every spawn alike.
    await manager.spawn({ amount: count, delay: limits.maxConcurrency >= count ? 0 : IDENTIFY_INTERVAL_MS, timeout: 60_000 });
    log.info({ shards: count }, 'Discord shards ready');
    return manager;
  }

  /** Each running shard's metrics (prom-client JSON); a shard that does not answer in 2 s is left out. */
  async shardMetrics(): Promise<unknown[][]> {
    const manager = this.connection;
    if (!manager) return [];
    const answers = await Promise.all([...manager.shards.values()].map((shard) => askMetrics(shard)));
    return answers.filter((answer): answer is unknown[] => answer !== undefined);
  }

  protected close(manager: ShardingManager): Promise<void> {
    return stopShards(manager);
  }

  protected report(manager: ShardingManager): { ok: boolean; detail: string } {
    const count = manager.shards.size;
    const alive = [...manager.shards.values()].filter((shard) => shard.process && shard.process.exitCode === null).length;
    return { ok: alive === count, detail: `${alive} of ${count} shard processes running` };
  }
}

/** SIGTERM lets each shard finish its replies and exit by itself; one still running after 15 s is killed. */
async function stopShards(manager: ShardingManager): Promise<void> {
  (manager as unknown as { respawn: boolean }).respawn = false;
  await Promise.all(
    [...manager.shards.values()].map(async (shard) => {
      const child = shard.process;
      if (!child || child.exitCode !== null) return;
      shard.removeAllListeners('death');
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 15_000).unref())]);
      if (child.exitCode === null) child.kill('SIGKILL');
    }),
  );
}

let metricsRequests = 0;

function askMetrics(shard: Shard): Promise<unknown[] | undefined> {
  if (!shard.process || shard.process.exitCode !== null) return Promise.resolve(undefined);
  const id = ++metricsRequests;
  return new Promise((resolve) => {
    const done = (answer: unknown[] | undefined) => {
      clearTimeout(timer);
      shard.off('message', listener);
      resolve(answer);
    };
    const listener = (message: { [METRICS_REQUEST]?: number; metrics?: unknown[] }) => {
      if (message?.[METRICS_REQUEST] === id) done(message.metrics);
    };
    const timer = setTimeout(() => done(undefined), METRICS_TIMEOUT_MS);
    shard.on('message', listener);
    shard.send({ [METRICS_REQUEST]: id }).catch(() => done(undefined));
  });
}
