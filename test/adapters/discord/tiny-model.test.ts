/**
 * End to end with every real part: the discord.js client on the fake Discord, the shared
 * middleware over the real services (inference engine on a random-weight tiny Llama, the
 * SQLite store, curation, ingest's draftFromChat). The words are noise; what is checked is
 * the protocol: a streamed and edited reply, no mentions, capture, opt-out and feedback in
 * the store.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { DiscordAdapter } from '../../../src/adapters/discord/adapter.ts';
import { ChatMiddleware } from '../../../src/adapters/middleware/index.ts';
import { createChatServices, replyEngineFor } from '../../../src/app/chat-services.ts';
import { openCore, type Core } from '../../../src/app/core.ts';
import { loadConfig } from '../../../src/config/config.ts';
import { listFeedback } from '../../../src/curation/feedback-store.ts';
import { listSamples } from '../../../src/curation/sample-store.ts';
import type { Store } from '../../../src/store/index.ts';
import { FakeDiscord } from '../../fakes/discord/server.ts';
import { writeTinyModelFolder } from '../../fixtures/tiny-model-folder.ts';

const SPECIAL = ['<|endoftext|>', '<|im_start|>', '<|im_end|>', '<|pad|>'];
let fake: FakeDiscord;
let bot: DiscordAdapter;
let chat: ChatMiddleware;
let store: Store;
let core: Core;
let root: string;
const users = {} as Record<'uma' | 'voice', ReturnType<FakeDiscord['addUser']>>;
let channel: ReturnType<FakeDiscord['addChannel']>;

before(async () => {
  root = mkdtempSync(join(tmpdir(), 'discord-tiny-'));
  fake = new FakeDiscord();
  channel = fake.addChannel('general');
  users.uma = fake.addUser('uma');
  users.voice = fake.addUser('real-ada');
  const config = loadConfig({ root, env: { DATA_DIR: 'data', BASE_MODEL_DIR: 'base', PERSONAS_DIR: 'personas' } });
  writeTinyModelFolder({ dir: config.BASE_MODEL_DIR, seed: 3, config: { max_position_embeddings: 1024 } });
  mkdirSync(config.PERSONAS_DIR, { recursive: true });
  // Special tokens banned so the random model does not stop at once: the reply must stream for a while.
  const sampling = { temperature: 0, max_new_tokens: 300, bad_words: SPECIAL };
  writeFileSync(join(config.PERSONAS_DIR, 'ada.yaml'), stringify({ id: 'ada', name: 'Ada', voices: { discord_ids: [users.voice.id] }, sampling }));
  // Built as `persona serve` builds it: the engine serves the registry's champion (here the base).
  core = await openCore(config);
  store = core.store;
  chat = new ChatMiddleware(createChatServices({ personasDir: config.PERSONAS_DIR, store, engine: replyEngineFor(core), registry: core.registry }));
  const { apiUrl } = await fake.start();
  bot = new DiscordAdapter({ ...config, DISCORD_TOKEN: 'fake-token', DISCORD_API_URL: apiUrl }, { chat }, { editIntervalMs: 20 });
  await bot.start();
});

after(async () => {
  chat.close();
  await bot.stop();
  await fake.stop();
  await core.close();
  rmSync(root, { recursive: true, force: true });
});

test('a mention gets the tiny model’s reply, posted at once and then edited as it streams', async () => {
  fake.say(users.uma, channel, 'hello there, how are you today?', { mention: true });
  const reply = await fake.waitFor(
    () => fake.channelMessages(channel.id).find((m) => m.author.id === fake.bot.id && m.edited_timestamp),
    20_000,
    'edited reply',
  );
  await fake.waitFor(() => chat.queue.size.running === 0, 20_000, 'generation finished');
  assert.match(reply.content, /^\*\*Ada:\*\* ./s);
  const posts = fake.requests.filter((r) => r.method === 'POST' && r.path.endsWith(`/channels/${channel.id}/messages`));
  const edits = fake.requests.filter((r) => r.method === 'PATCH');
  assert.ok(edits.length >= 1, 'edited while streaming');
  assert.ok(posts[0].body.content.length < reply.content.length, 'the first post held only the beginning');
  for (const request of [...posts, ...edits]) assert.deepEqual(request.body.allowed_mentions.parse, []);
});

test('a voice’s message is stored as a pending candidate; opting out removes it; 👍 is stored as feedback', async () => {
  fake.say(users.uma, channel, 'What do you think of the engine?');
  fake.say(users.voice, channel, 'It weaves algebraic patterns just as the loom weaves flowers.');
  const pending = await waitForAsync(async () => {
    const list = await listSamples(store, 'ada', 'pending');
    return list.length === 1 && list;
  });
  assert.equal(pending[0].text, 'It weaves algebraic patterns just as the loom weaves flowers.');
  assert.ok(pending[0].context.some((turn) => turn.text === 'What do you think of the engine?'));
  const id = fake.command(users.voice, channel, 'privacy', [{ name: 'optout', type: 1, options: [] }]);
  await fake.waitFor(() => fake.interactionReplies.get(id)?.callbacks[0], 5000, 'opt-out answer');
  assert.equal((await listSamples(store, 'ada', 'pending')).length, 0);

  const reply = fake.channelMessages(channel.id).find((m) => m.author.id === fake.bot.id)!;
  fake.react(users.uma, reply, '👍');
  const [feedback] = await waitForAsync(async () => {
    const list = await listFeedback(store, 'ada');
    return list.length === 1 && list;
  });
  assert.equal(feedback.rating, 'up');
  assert.equal(feedback.context.at(-1)?.text, 'hello there, how are you today?');
});

async function waitForAsync<T>(check: () => Promise<T | false | undefined>, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await check();
    if (value) return value;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error('timed out');
}
