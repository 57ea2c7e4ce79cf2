/**
 * Contract of the shared chat middleware, independent of any platform: who answers, rate
 * limits, the global queue, capture and opt-out, feedback, and failures that end in an apology.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ChatMiddleware, USER_MESSAGES } from '../../../src/adapters/middleware/index.ts';
import type { ChatEvent } from '../../../src/adapters/types.ts';
import { PersonaError } from '../../../src/errors.ts';
import { persona, RecordingReply, ScriptedEngine, testServices } from './services.ts';

const ada = persona({ id: 'ada', name: 'Ada', voices: { discord_ids: ['900'] }, channels: { discord: ['77'] } });
const bob = persona({ id: 'bob', name: 'Bob' });

let nextId = 1000;
function event(overrides: Partial<ChatEvent> = {}): ChatEvent {
  nextId += 1;
  return {
    platform: 'discord',
    messageId: String(nextId),
    channelId: '10',
    spaceId: '1',
    author: { id: '500', name: 'Uma', isBot: false },
    text: 'hello there',
    timestamp: Date.now(),
    isDirect: false,
    mentionsBot: false,
    repliesToBot: false,
    history: [],
    ...overrides,
  };
}

function setup(engine = new ScriptedEngine(), options = {}) {
  const services = testServices([ada, bob], engine);
  const middleware = new ChatMiddleware(services, options);
  const replies: RecordingReply[] = [];
  const open = (p: { id: string }) => {
    const reply = new RecordingReply(p.id, [`r${replies.length + 1}`]);
    replies.push(reply);
    return reply;
  };
  return { services, middleware, replies, open, engine };
}

test('answers when addressed, in a bound channel or on request; stays quiet otherwise', async () => {
  const { middleware, open, replies } = setup();
  assert.equal((await middleware.handleChat(event(), open)).kind, 'ignored');
  const mentioned = await middleware.handleChat(event({ mentionsBot: true }), open);
  assert.deepEqual([mentioned.kind, 'personaId' in mentioned && mentioned.personaId], ['replied', 'ada']);
  assert.equal(replies[0].final, 'Ada says: hello there');
  assert.ok(replies[0].typed >= 1, 'typing shown before generating');
  assert.ok(replies[0].updates.length >= 2, 'streamed in several updates');
  const bound = await middleware.handleChat(event({ channelId: '77' }), open);
  assert.equal(bound.kind === 'replied' && bound.reason, 'bound_channel');
  const dm = await middleware.handleChat(event({ isDirect: true, channelId: '55' }), open);
  assert.equal(dm.kind, 'replied');
  const asked = await middleware.handleChat(event({ personaId: 'bob' }), open);
  assert.equal(asked.kind === 'replied' && asked.personaId, 'bob');
});

test('/persona use picks the persona of a channel and a reply goes to the persona that wrote the replied message', async () => {
  const { middleware, open } = setup();
  await middleware.commands.usePersona({ platform: 'discord', channelId: '10', user: { id: '500', name: 'Uma', isBot: false } }, 'bob');
  const chosen = await middleware.handleChat(event({ mentionsBot: true }), open);
  assert.equal(chosen.kind === 'replied' && chosen.personaId, 'bob');
  const asked = await middleware.handleChat(event({ personaId: 'ada', channelId: '11' }), open);
  assert.ok(asked.kind === 'replied');
  const followUp = await middleware.handleChat(event({ channelId: '11', repliesToBot: true, replyToMessageId: asked.messageIds[0] }), open);
  assert.deepEqual(followUp.kind === 'replied' && [followUp.personaId, followUp.reason], ['ada', 'reply_chain']);
});

test('an unknown requested persona is answered with the known ids', async () => {
  const { middleware, open, replies } = setup();
  const outcome = await middleware.handleChat(event({ personaId: 'zed' }), open);
  assert.equal(outcome.kind === 'failed' && outcome.code, 'persona_not_found');
  assert.match(replies[0].failure ?? '', /zed.*ada, bob/);
});

test('bots are ignored, the bot itself included', async () => {
  const { middleware, open, replies, engine } = setup();
  const outcome = await middleware.handleChat(event({ mentionsBot: true, author: { id: '1', name: 'Self', isBot: true } }), open);
  assert.equal(outcome.kind, 'ignored');
  assert.equal(replies.length + engine.calls.length, 0);
});

test('rate limits answer once with a friendly message, per user and per channel', async () => {
  const { middleware, open, replies } = setup(undefined, {
    rateLimits: { perUser: { limit: 2, windowMs: 60_000 }, perChannel: { limit: 3, windowMs: 60_000 } },
  });
  const kinds = [];
  for (let i = 0; i < 4; i += 1) kinds.push((await middleware.handleChat(event({ mentionsBot: true }), open)).kind);
  assert.deepEqual(kinds, ['replied', 'replied', 'rate_limited', 'rate_limited']);
  const notices = replies.filter((reply) => reply.failure);
  assert.equal(notices.length, 1, 'one notice, not one per message');
  assert.match(notices[0].failure!, /Easy there! I can answer again in \d+ s/);
  await middleware.handleChat(event({ mentionsBot: true, author: { id: '501', name: 'Vic', isBot: false } }), open);
  const channelFull = await middleware.handleChat(event({ mentionsBot: true, author: { id: '502', name: 'Wes', isBot: false } }), open);
  assert.equal(channelFull.kind === 'rate_limited' && channelFull.scope, 'channel');
});

test('memory: history in order, the persona’s own turns as assistant, nothing before /forget', async () => {
  const { middleware, open, engine } = setup();
  const now = Date.now();
  const history = [
    { speaker: { id: '500', name: 'Uma', isBot: false }, text: 'first', timestamp: now - 3000, messageId: 'h1' },
    { speaker: { id: '1', name: 'Ada', isBot: true }, text: 'hi Uma', timestamp: now - 2000, messageId: 'h2', fromSelf: true },
  ];
  await middleware.handleChat(event({ mentionsBot: true, history, text: 'again' }), open);
  assert.deepEqual(
    engine.calls[0].turns.map((t) => [t.role, t.text]),
    [
      ['user', 'first'],
      ['assistant', 'hi Uma'],
      ['user', 'again'],
    ],
  );
  await middleware.commands.forget({ platform: 'discord', channelId: '10', user: { id: '500', name: 'Uma', isBot: false } }, now - 2500);
  await middleware.handleChat(event({ mentionsBot: true, history, text: 'again' }), open);
  assert.deepEqual(
    engine.calls[1].turns.map((t) => t.text),
    ['hi Uma', 'again'],
  );
});

test("request options (the studio's seed, model) reach the engine; a caller's signal cancels only its own reply", async () => {
  const { middleware, open, engine } = setup(new ScriptedEngine({ pieces: 4, stepMs: 5 }));
  const closed = new AbortController();
  const request = { model: 'base', seed: 7, temperature: 0.5, maxNewTokens: 16 };
  const [cancelled, answered] = await Promise.all([
    middleware.handleChat(event({ isDirect: true, channelId: 'a' }), open, { request, signal: closed.signal }),
    middleware.handleChat(event({ isDirect: true, channelId: 'b', author: { id: '501', name: 'Vic', isBot: false } }), open),
    closed.abort(),
  ]);
  assert.equal(cancelled.kind, 'failed');
  assert.equal(answered.kind === 'replied' && answered.text, 'Ada says: hello there');
  assert.deepEqual(
    engine.calls.map((call) => call.request),
    [request, undefined],
  );
});

test('a failed generation answers with an apology; a busy engine is retried', async () => {
  const engine = new ScriptedEngine();
  const { middleware, open, replies } = setup(engine, { queue: { busyRetryMs: 5 } });
  engine.failures.push(new Error('onnx exploded'));
  const failed = await middleware.handleChat(event({ mentionsBot: true }), open);
  assert.equal(failed.kind, 'failed');
  assert.equal(replies[0].failure, USER_MESSAGES.apology);
  engine.failures.push(new PersonaError('generation_busy', 'busy'), new PersonaError('generation_busy', 'busy'));
  const retried = await middleware.handleChat(event({ mentionsBot: true }), open);
  assert.equal(retried.kind, 'replied');
});

test('the global queue runs one generation at a time and refuses when too many wait', async () => {
  const engine = new ScriptedEngine({ pieces: 2, stepMs: 20 });
  const { middleware, open, replies } = setup(engine, {
    queue: { maxWaiting: 2 },
    rateLimits: { perUser: { limit: 99, windowMs: 1000 }, perChannel: { limit: 99, windowMs: 1000 } },
  });
  let active = 0;
  let peak = 0;
  const original = engine.reply.bind(engine);
  engine.reply = async (...args) => {
    active += 1;
    peak = Math.max(peak, active);
    try {
      return await original(...args);
    } finally {
      active -= 1;
    }
  };
  const outcomes = await Promise.all(Array.from({ length: 4 }, () => middleware.handleChat(event({ mentionsBot: true }), open)));
  assert.equal(peak, 1);
  assert.deepEqual(outcomes.map((o) => o.kind).sort(), ['failed', 'replied', 'replied', 'replied']);
  assert.ok(replies.some((reply) => reply.failure === USER_MESSAGES.busy));
});

test('capture: a voice in a shared channel becomes a candidate with context; DMs, bots and opted-out users do not', async () => {
  const { middleware, open, services } = setup();
  const voice = { id: '900', name: 'Real Ada', isBot: false };
  const history = [{ speaker: { id: '500', name: 'Uma', isBot: false }, text: 'what do you think?', timestamp: Date.now() - 1000, messageId: 'c1' }];
  const outcome = await middleware.handleChat(event({ author: voice, text: 'I think so.', history }), open);
  assert.deepEqual(outcome.captured, ['ada']);
  assert.equal(services.candidates.pending[0].context[0].text, 'what do you think?');
  assert.equal(services.candidates.pending[0].ref, 'discord:1/10');
  await middleware.handleChat(event({ author: voice, isDirect: true, text: 'private' }), open);
  await middleware.handleChat(event({ author: { ...voice, isBot: true }, text: 'bot' }), open);
  assert.equal(services.candidates.pending.length, 1);
  const said = await middleware.commands.optOut({ platform: 'discord', channelId: '10', user: voice });
  assert.match(said, /1 pending message/);
  assert.equal(services.candidates.pending.length, 0);
  await middleware.handleChat(event({ author: voice, text: 'again' }), open);
  assert.equal(services.candidates.pending.length, 0);
  await middleware.commands.optIn({ platform: 'discord', channelId: '10', user: voice });
  await middleware.handleChat(event({ author: voice, text: 'back' }), open);
  assert.equal(services.candidates.pending.length, 1);
});

test('feedback: 👍/👎 on a reply is stored with the reply and its context; other reactions are not', async () => {
  const { middleware, open, services } = setup();
  const outcome = await middleware.handleChat(event({ mentionsBot: true, text: 'rate me' }), open);
  assert.ok(outcome.kind === 'replied');
  const user = { id: '500', name: 'Uma', isBot: false };
  const base = { platform: 'discord' as const, channelId: '10', user, added: true };
  assert.equal(await middleware.handleReaction({ ...base, messageId: outcome.messageIds[0], emoji: '🎉' }), null);
  assert.equal(await middleware.handleReaction({ ...base, messageId: 'not-ours', emoji: '👍' }), null);
  await middleware.handleReaction({ ...base, messageId: outcome.messageIds[0], emoji: '👎🏽' });
  assert.deepEqual(
    services.feedback.records.map((r) => [r.personaId, r.rating, r.reply, r.context.at(-1)?.text]),
    [['ada', 'down', 'Ada says: rate me', 'rate me']],
  );
});
