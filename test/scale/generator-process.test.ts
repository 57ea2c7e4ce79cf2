/**
 * Scale-out generation with every real part: a bots-only `persona serve` (PERSONA_ROLES=bots,
 * the real discord.js client on the fake Discord) and a separate `persona worker --role
 * generator` process, sharing a real redis-server. A mention is answered with streamed edits
 * whose text is the local engine's greedy reply to the same turns; a champion promoted in the
 * bots process answers the next message from the worker; with the worker gone, the user is
 * told the generator is unreachable instead of waiting forever.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { stringify } from 'yaml';
import { USER_MESSAGES } from '../../src/adapters/middleware/pipeline.ts';
import { AdapterState } from '../../src/adapters/middleware/state.ts';
import { EngineReplies, StoreState } from '../../src/app/chat-services.ts';
import { serve, type Server } from '../../src/app/serve-process.ts';
import { loadConfig, type Config } from '../../src/config/config.ts';
import { InferenceEngine } from '../../src/inference/engine.ts';
import { loadPersona } from '../../src/personas/load.ts';
import { FakeDiscord } from '../fakes/discord/server.ts';
import { writeTinyModelFolder } from '../fixtures/tiny-model-folder.ts';
import { startRedis, type RedisServer } from '../store/redis-server.ts';
import { kill, SPECIAL_TOKENS, startWorker } from './generator-worker-process.ts';

describe('a bots process and a generator worker process (redis-server)', { timeout: 120_000 }, () => {
  let redis: RedisServer;
  let fake: FakeDiscord;
  let server: Server;
  let worker: ChildProcess | undefined;
  let config: Config;
  let root: string;
  let local: InferenceEngine;
  const users = {} as { vic: ReturnType<FakeDiscord['addUser']> };
  let channel: ReturnType<FakeDiscord['addChannel']>;
  const env: Record<string, string> = {};

  before(async () => {
    redis = await startRedis();
    root = mkdtempSync(join(tmpdir(), 'scale-generate-'));
    mkdirSync(join(root, 'personas'));
    const model = writeTinyModelFolder({ flavour: 'serving', seed: 3, config: { max_position_embeddings: 1024 } });
    // Special tokens banned so the random model does not stop at once: the reply streams for a while.
    const sampling = { temperature: 0, max_new_tokens: 40, bad_words: SPECIAL_TOKENS };
    writeFileSync(join(root, 'personas', 'ada.yaml'), stringify({ id: 'ada', name: 'Ada', base: model.dir, sampling }));
    fake = new FakeDiscord();
    channel = fake.addChannel('general');
    users.vic = fake.addUser('vic');
    const { apiUrl } = await fake.start();
    Object.assign(env, {
      LOG_LEVEL: 'silent',
      ORT_THREADS: '1',
      STORE_URL: `${redis.url}/1`,
      GENERATION_JOB_LOCK_MS: '1000',
      GENERATION_MAX_WAIT_MS: '3000',
    });
    config = loadConfig({
      root,
      env: { ...env, PERSONA_ROLES: 'bots', STUDIO_PORT: '0', DISCORD_TOKEN: 'fake-token', DISCORD_API_URL: apiUrl, DISCORD_EDIT_INTERVAL_MS: '20' },
    });
    server = await serve(config);
    worker = await startWorker(root, env);
    local = new InferenceEngine(config);
  });

  after(async () => {
    await kill(worker);
    await server?.stop();
    await fake?.stop();
    await local?.dispose();
    await redis?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  /** Says `text` to the bot; returns the final reply once logged, the turns it answered, and the edits seen. */
  async function ask(text: string) {
    const before = fake.requests.length;
    const question = fake.say(users.vic, channel, text, { mention: true });
    const answer = await fake.waitFor(
      () => fake.channelMessages(channel.id).find((m) => m.author.id === fake.bot.id && BigInt(m.id) > BigInt(question.id)),
      30_000,
      'a reply',
    );
    const state = new AdapterState(new StoreState(server.core.store));
    const deadline = Date.now() + 30_000;
    let sent = await state.sentReply('discord', answer.id);
    while (!sent && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      sent = await state.sentReply('discord', answer.id);
    }
    assert.ok(sent, 'the reply was finished and logged');
    return { answer, sent, edits: fake.requests.slice(before).filter((r) => r.method === 'PATCH') };
  }

  it("answers with streamed edits whose text is the local engine's greedy reply", async () => {
    const { answer, sent, edits } = await ask('hello there, how are you today?');
    const persona = loadPersona(config.PERSONAS_DIR, 'ada');
    const expected = await new EngineReplies(local).reply(persona, sent.context, {});
    assert.ok(expected.text.length > 10, 'the tiny model says something');
    assert.equal(sent.reply, expected.text);
    assert.ok(edits.length >= 1, 'the reply was edited as it streamed');
    assert.equal(fake.channelMessages(channel.id).find((m) => m.id === answer.id)?.content, `**Ada:** ${expected.text}`);
    assert.deepEqual(server.core.engine.loadedModels, [], 'the bots process loaded no model: the worker generated it');
  });

  it('answers from a champion promoted in the bots process', async () => {
    const dir = join(root, 'data', 'models', 'ada', '20261204-000000-000');
    writeTinyModelFolder({ dir, flavour: 'serving', seed: 11, config: { max_position_embeddings: 1024 } });
    const { registry } = server.core;
    await registry.register({
      persona: 'ada',
      version: '20261204-000000-000',
      dir,
      createdAt: new Date().toISOString(),
      base: 'tiny',
      method: 'full',
      hyperparameters: {},
      metrics: {},
    });
    await registry.promote('ada', '20261204-000000-000', 'test');
    const { sent } = await ask('and what do you think of the new model?');
    const persona = loadPersona(config.PERSONAS_DIR, 'ada');
    const [champion, base] = await Promise.all([
      new EngineReplies(local).reply(persona, sent.context, { request: { model: '20261204-000000-000' } }),
      new EngineReplies(local).reply(persona, sent.context, { request: { model: 'base' } }),
    ]);
    assert.notEqual(champion.text, base.text, 'the two models answer differently');
    assert.equal(sent.reply, champion.text);
  });

  it('tells the user the generator is unreachable when no worker runs, within the wait bound', async () => {
    await kill(worker);
    const question = fake.say(users.vic, channel, 'anyone there?', { mention: true });
    await fake.waitFor(
      () => fake.channelMessages(channel.id).find((m) => BigInt(m.id) > BigInt(question.id) && m.content.includes(USER_MESSAGES.unavailable)),
      30_000,
      'the unavailable notice (GENERATION_MAX_WAIT_MS is 3 s)',
    );
  });
});
