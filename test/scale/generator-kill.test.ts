/**
 * A generator worker process SIGKILLed in the middle of a streamed Discord reply, with every
 * real part: a bots-only `persona serve` (the real discord.js client on the fake Discord),
 * two `persona worker --role generator` processes and a real redis-server. The reply is long
 * (1,200 greedy tokens of a small random model) so that the first streamed edit comes well
 * before its end; the first worker takes it because the second is frozen (SIGSTOP) until the
 * first is killed right after that edit. The user then ends, within the queue's bounds, with
 * the reply finished by the second worker (the text only ever grew) or a clear notice — never
 * a message left mid-stream.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { stringify } from 'yaml';
import { USER_MESSAGES } from '../../src/adapters/middleware/pipeline.ts';
import { splitMessage } from '../../src/adapters/middleware/reply-split.ts';
import { AdapterState } from '../../src/adapters/middleware/state.ts';
import { DISCORD_MESSAGE_LIMIT } from '../../src/adapters/discord/reply.ts';
import { StoreState } from '../../src/app/chat-services.ts';
import { serve, type Server } from '../../src/app/serve-process.ts';
import { loadConfig } from '../../src/config/config.ts';
import { FakeDiscord } from '../fakes/discord/server.ts';
import { writeTinyModelFolder } from '../fixtures/tiny-model-folder.ts';
import { startRedis, type RedisServer } from '../store/redis-server.ts';
import { kill, SPECIAL_TOKENS, startWorker } from './generator-worker-process.ts';

const CONTEXT = 4096;
const PREFIX = '**Ada:** ';

describe('a generator worker killed mid-reply (bots process, two worker processes, redis-server)', { timeout: 180_000 }, () => {
  let redis: RedisServer;
  let fake: FakeDiscord;
  let server: Server;
  let root: string;
  let modelDir: string;
  let first: ChildProcess | undefined;
  let second: ChildProcess | undefined;
  const secondLogs: string[] = [];

  before(async () => {
    redis = await startRedis();
    root = mkdtempSync(join(tmpdir(), 'scale-generate-kill-'));
    mkdirSync(join(root, 'personas'));
    // Wider and deeper than the other tiny models: each token costs about a millisecond or more, so 1,200 of them stream for a while.
    const model = writeTinyModelFolder({
      flavour: 'serving',
      seed: 3,
      config: { max_position_embeddings: CONTEXT, hidden_size: 384, intermediate_size: 1536, num_hidden_layers: 4 },
    });
    modelDir = model.dir;
    const tokenizerConfig = join(model.dir, 'tokenizer_config.json');
    writeFileSync(tokenizerConfig, JSON.stringify({ ...JSON.parse(readFileSync(tokenizerConfig, 'utf8')), model_max_length: CONTEXT }));
    const sampling = { temperature: 0, max_new_tokens: 1200, bad_words: SPECIAL_TOKENS };
    writeFileSync(join(root, 'personas', 'ada.yaml'), stringify({ id: 'ada', name: 'Ada', base: model.dir, sampling }));
    fake = new FakeDiscord();
    const { apiUrl } = await fake.start();
    const env = {
      LOG_LEVEL: 'silent',
      ORT_THREADS: '1',
      STORE_URL: `${redis.url}/1`,
      GENERATION_JOB_LOCK_MS: '2000',
      GENERATION_MAX_WAIT_MS: '60000',
    };
    const config = loadConfig({
      root,
      env: { ...env, PERSONA_ROLES: 'bots', STUDIO_PORT: '0', DISCORD_TOKEN: 'fake-token', DISCORD_API_URL: apiUrl, DISCORD_EDIT_INTERVAL_MS: '20' },
    });
    server = await serve(config);
    first = await startWorker(root, env);
    second = await startWorker(root, { ...env, LOG_LEVEL: 'debug' }, secondLogs);
    // Frozen: it cannot take the reply, so the first worker does; it thaws when that one is killed.
    second.kill('SIGSTOP');
  });

  after(async () => {
    second?.kill('SIGCONT');
    await kill(first);
    await kill(second);
    await server?.stop();
    await fake?.stop();
    await redis?.stop();
    rmSync(root, { recursive: true, force: true });
    rmSync(modelDir, { recursive: true, force: true });
  });

  it('ends with the reply finished by another worker, or a clear notice, never mid-stream', async (t) => {
    const channel = fake.addChannel('general');
    const user = fake.addUser('vic');
    const seen = fake.requests.length;
    const question = fake.say(user, channel, 'tell me everything you know, at length', { mention: true });
    const answer = await fake.waitFor(
      () => fake.channelMessages(channel.id).find((m) => m.author.id === fake.bot.id && BigInt(m.id) > BigInt(question.id)),
      60_000,
      'the first words of the reply',
    );
    const editsOfAnswer = () => fake.requests.filter((r) => r.method === 'PATCH' && r.path.endsWith(`/messages/${answer.id}`));
    await fake.waitFor(() => editsOfAnswer().length > 0, 60_000, 'the first streamed edit');
    await kill(first);
    const shownAtKill = fake.channelMessages(channel.id).find((m) => m.id === answer.id)!.content;
    second!.kill('SIGCONT');

    // Bounded: the reply is finished and logged, or the user is told; a hang fails here.
    const state = new AdapterState(new StoreState(server.core.store));
    const notice = () => fake.channelMessages(channel.id).find((m) => BigInt(m.id) > BigInt(question.id) && m.content === USER_MESSAGES.unavailable);
    const deadline = Date.now() + 90_000;
    let sent = await state.sentReply('discord', answer.id);
    while (!sent && !notice() && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      sent = await state.sentReply('discord', answer.id);
    }
    assert.ok(sent || notice(), 'the reply ended, finished or with a notice, within the bound');

    // What the answer message showed, in order: the post that opened it, then its edits.
    const opened = fake.requests.slice(seen).find((r) => r.method === 'POST' && (r.body as { content?: string })?.content?.startsWith(PREFIX));
    const contents = [opened!, ...editsOfAnswer()].map((r) => (r.body as { content: string }).content);
    for (const [i, content] of contents.entries()) if (i > 0) assert.ok(content.startsWith(contents[i - 1]), `the shown text only grew (edit ${i})`);
    if (!sent) {
      t.diagnostic('the second worker did not take the reply within the bound: the user was told');
      return;
    }
    t.diagnostic(`the second worker finished the reply (${shownAtKill.length - PREFIX.length} of ${sent.reply.length} characters shown when the first died)`);
    assert.ok(shownAtKill.length < PREFIX.length + sent.reply.length, 'the first worker was killed before the reply was complete');
    assert.ok(sent.reply.startsWith(shownAtKill.slice(PREFIX.length)), 'the finished reply continues what was shown when the worker died');
    const replies = fake.channelMessages(channel.id).filter((m) => m.author.id === fake.bot.id && BigInt(m.id) >= BigInt(answer.id));
    const chunks = splitMessage(sent.reply, DISCORD_MESSAGE_LIMIT - PREFIX.length);
    assert.deepEqual(
      replies.map((m) => m.content),
      chunks.map((chunk) => PREFIX + chunk),
      'every message shows its final text',
    );
    assert.ok(
      secondLogs.some((line) => line.includes('"msg":"reply taken"') && line.includes('"attempt":2')),
      'the second worker took the reply as its second attempt',
    );
  });
});
