/**
 * Starts the fake Discord and the real bot (discord.js client + shared middleware) against
 * it, with users and channels ready, and stops both afterwards.
 */
import { ChatMiddleware, type ChatMiddlewareOptions, type ReplyEngine, type TrainingControl } from '../../../src/adapters/middleware/index.ts';
import { DiscordAdapter, type DiscordAdapterOptions } from '../../../src/adapters/discord/adapter.ts';
import type { Persona } from '../../../src/personas/schema.ts';
import { FakeDiscord } from '../../fakes/discord/server.ts';
import { persona, ScriptedEngine, testServices } from '../middleware/services.ts';

export interface Harness {
  fake: FakeDiscord;
  bot: DiscordAdapter;
  chat: ChatMiddleware;
  services: ReturnType<typeof testServices>;
  channels: { general: ReturnType<FakeDiscord['addChannel']>; hooks: ReturnType<FakeDiscord['addChannel']>; bound: ReturnType<FakeDiscord['addChannel']> };
  users: {
    uma: ReturnType<FakeDiscord['addUser']>;
    vic: ReturnType<FakeDiscord['addUser']>;
    voice: ReturnType<FakeDiscord['addUser']>;
    otherBot: ReturnType<FakeDiscord['addUser']>;
  };
  stop(): Promise<void>;
}

export async function startHarness(
  options: {
    engine?: ReplyEngine;
    personas?: (ids: { voice: string; bound: string }) => Persona[];
    middleware?: ChatMiddlewareOptions;
    adapter?: DiscordAdapterOptions;
    env?: (channels: Harness['channels']) => Record<string, string[] | string>;
    /** The training service behind `/train` (default: one that records requests, `services.training`). */
    training?: TrainingControl;
  } = {},
): Promise<Harness> {
  const fake = new FakeDiscord();
  const channels = { general: fake.addChannel('general'), hooks: fake.addChannel('with-webhooks', { webhooks: true }), bound: fake.addChannel('ada-lounge') };
  const users = { uma: fake.addUser('uma'), vic: fake.addUser('vic'), voice: fake.addUser('real-ada'), otherBot: fake.addUser('other-bot', true) };
  const personas = options.personas?.({ voice: users.voice.id, bound: channels.bound.id }) ?? [
    persona({
      id: 'ada',
      name: 'Ada',
      avatar_url: 'https://example.org/ada.png',
      voices: { discord_ids: [users.voice.id] },
      channels: { discord: [channels.bound.id] },
    }),
    persona({ id: 'bob', name: 'Bob' }),
  ];
  const services = testServices(personas, options.engine ?? new ScriptedEngine());
  const chat = new ChatMiddleware({ ...services, training: options.training ?? services.training }, options.middleware);
  const { apiUrl } = await fake.start();
  const config = {
    DISCORD_TOKEN: 'fake-token',
    DISCORD_API_URL: apiUrl,
    DISCORD_ALLOWED_GUILDS: [],
    DISCORD_ALLOWED_CHANNELS: [],
    DISCORD_ADMIN_ROLE: undefined,
    ...options.env?.(channels),
  } as const;
  const bot = new DiscordAdapter(config as any, { chat }, { editIntervalMs: 50, ...options.adapter });
  await bot.start();
  return {
    fake,
    bot,
    chat,
    services,
    channels,
    users,
    async stop() {
      chat.close();
      await bot.stop();
      await fake.stop();
    },
  };
}

/** Requests that create or change visible content (messages, edits, interaction replies). */
export function contentRequests(fake: FakeDiscord) {
  return fake.requests.filter(
    (r) => (r.method === 'POST' || r.method === 'PATCH') && r.body && (typeof r.body.content === 'string' || typeof r.body.data?.content === 'string'),
  );
}

let askers = 0;
/**
 * The positive signal a "nothing happened" check waits for instead of a fixed sleep: a later
 * question in the same channel, from a new user (clear of rate limits), has been answered, so
 * every earlier message there has been handled. Costs one engine call.
 */
export async function laterQuestionAnswered(h: Pick<Harness, 'fake'>, channel: Harness['channels']['general']): Promise<void> {
  askers += 1;
  const asked = h.fake.say(h.fake.addUser(`asker-${askers}`), channel, `a later question ${askers}`, { mention: true });
  await h.fake.waitFor(() => h.fake.channelMessages(channel.id).some((m) => m.message_reference?.message_id === asked.id), 5000, 'the later question answered');
}
