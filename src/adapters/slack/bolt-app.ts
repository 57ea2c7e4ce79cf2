/**
 * Builds the Bolt app in one of two modes. Socket Mode (SLACK_APP_TOKEN, the default) needs
 * no public URL; HTTP mode (SLACK_SIGNING_SECRET, on SLACK_PORT) verifies every request's
 * signature and 5-minute timestamp window (Bolt does) and refuses replays (replay-guard.ts).
 * `retryConfig` is always set: Bolt's default retries a failing call for about 30 minutes,
 * which looks like a hang. SLACK_API_URL moves the Web API for both the bot client and the
 * Socket Mode `apps.connections.open` call.
 */
import { App, HTTPReceiver, LogLevel, SocketModeReceiver, webApi, type Logger as BoltLogger } from '@slack/bolt';
import type { Config } from '../../config/config.js';
import { PersonaError } from '../../errors.js';
import { logger } from '../../log.js';
import type { OnceGuard } from './slack-ports.js';
import { guardReplays } from './replay-guard.js';

export type BoltApp = App;
/** The Web API client (Bolt's re-export of @slack/web-api). */
export type SlackClient = App['client'];
export type SlackMode = 'socket' | 'http';

/** Retries for Web API calls: a few quick tries, never minutes of silence. 429s wait Retry-After on top. */
export interface RetryConfig {
  retries: number;
  factor?: number;
  minTimeout?: number;
  maxTimeout?: number;
}

export const DEFAULT_RETRY_CONFIG: RetryConfig = { retries: 3, factor: 2, minTimeout: 500, maxTimeout: 5000 };

/**
 * For `apps.connections.open` only. Socket Mode reconnects by itself after a dropped socket,
 * and when that call finally fails the client rejects with nobody listening (an unhandled
 * rejection ends the process), so it keeps trying through an outage of many minutes. Start-up
 * still fails fast: `auth.test` on the bot client (DEFAULT_RETRY_CONFIG) runs first.
 */
const SOCKET_CONNECT_RETRY_CONFIG: RetryConfig = { retries: 100, factor: 1.3, minTimeout: 1000, maxTimeout: 30_000 };

export interface SlackApp {
  app: BoltApp;
  mode: SlackMode;
  /** From auth.test: the bot's user id and its workspace. */
  bot: { userId: string; teamId: string };
  /** Starts receiving; resolves with the HTTP port in HTTP mode. */
  start(): Promise<number | undefined>;
  stop(): Promise<void>;
}

export function slackMode(config: Config): SlackMode {
  if (config.SLACK_APP_TOKEN) return 'socket';
  if (config.SLACK_SIGNING_SECRET) return 'http';
  throw new PersonaError(
    'config_invalid',
    'Slack needs SLACK_APP_TOKEN (Socket Mode, no public URL) or SLACK_SIGNING_SECRET (HTTP mode on SLACK_PORT) besides SLACK_BOT_TOKEN.',
    { field: 'SLACK_APP_TOKEN' },
  );
}

export async function createSlackApp(config: Config, once: OnceGuard, retryConfig: RetryConfig = DEFAULT_RETRY_CONFIG): Promise<SlackApp> {
  const token = config.SLACK_BOT_TOKEN;
  if (!token) {
    throw new PersonaError('config_invalid', 'SLACK_BOT_TOKEN is not set: the Slack adapter needs the bot token (xoxb-…).', { field: 'SLACK_BOT_TOKEN' });
  }
  const mode = slackMode(config);
  const boltLogger = pinoBridge();
  const apiUrl = config.SLACK_API_URL ? { slackApiUrl: withSlash(config.SLACK_API_URL) } : {};
  const clientOptions = { retryConfig, ...apiUrl };
  // auth.test runs here, awaited, and its answer is handed to the App: left to Bolt, a refused
  // token rejects a promise nobody awaits until the first event (an unhandled rejection).
  const auth = await new webApi.WebClient(token, { ...clientOptions, logger: boltLogger }).auth.test().catch((error: unknown) => {
    const where = config.SLACK_API_URL ?? 'https://slack.com/api/';
    throw new PersonaError(
      'config_invalid',
      `Slack did not accept SLACK_BOT_TOKEN at ${where} (${(error as Error).message}).`,
      { field: 'SLACK_BOT_TOKEN' },
      { cause: error },
    );
  });
  const bot = { userId: auth.user_id ?? '', teamId: auth.team_id ?? '' };
  const appOptions = { token, botId: auth.bot_id, botUserId: auth.user_id, logger: boltLogger, clientOptions };
  if (mode === 'socket') {
    const receiver = new SocketModeReceiver({
      appToken: config.SLACK_APP_TOKEN ?? '',
      logger: boltLogger,
      installerOptions: { clientOptions: { retryConfig: SOCKET_CONNECT_RETRY_CONFIG, ...apiUrl } },
    });
    const app = new App({ ...appOptions, receiver });
    return {
      app,
      mode,
      bot,
      start: async () => {
        await app.start();
        return undefined;
      },
      // The receiver's stop() does not wait for the WebSocket close handshake; wait for it here
      // so a stopped adapter leaves no socket (or 30-second close timer) behind.
      stop: async () => {
        await receiver.client.disconnect();
        await app.stop();
      },
    };
  }
  const receiver = new HTTPReceiver({ signingSecret: config.SLACK_SIGNING_SECRET ?? '', logger: boltLogger, port: config.SLACK_PORT });
  guardReplays(receiver, once);
  const app = new App({ ...appOptions, receiver });
  return {
    app,
    mode,
    bot,
    start: async () => {
      const server = (await app.start(config.SLACK_PORT)) as { address(): { port: number } | string | null };
      const address = server.address();
      return typeof address === 'object' && address ? address.port : config.SLACK_PORT;
    },
    stop: async () => {
      await app.stop();
    },
  };
}

function withSlash(url: string): string {
  return url.endsWith('/') ? url : `${url}/`;
}

/** Bolt and its clients log through our pino logger; the level is pino's (LOG_LEVEL). */
function pinoBridge(): BoltLogger {
  const log = logger('slack');
  const text = (parts: unknown[]) => parts.map((part) => (typeof part === 'string' ? part : JSON.stringify(part))).join(' ');
  return {
    debug: (...parts: unknown[]) => log.debug(text(parts)),
    info: (...parts: unknown[]) => log.info(text(parts)),
    warn: (...parts: unknown[]) => log.warn(text(parts)),
    error: (...parts: unknown[]) => log.error(text(parts)),
    setLevel: () => undefined,
    getLevel: () => {
      if (log.isLevelEnabled('debug')) return LogLevel.DEBUG;
      if (log.isLevelEnabled('info')) return LogLevel.INFO;
      return log.isLevelEnabled('warn') ? LogLevel.WARN : LogLevel.ERROR;
    },
    setName: () => undefined,
  };
}
