/**
 * The real discord.js client against the fake Discord: who gets an answer, how the answer is
 * streamed, edited and split, that no mention can leak, that bots are ignored, rate limits,
 * persona identity through webhooks, and a failed generation that ends in an apology.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { USER_MESSAGES } from '../../../src/adapters/middleware/index.ts';
import { ScriptedEngine } from '../middleware/services.ts';
import { contentRequests, laterQuestionAnswered, startHarness, type Harness } from './harness.ts';

const LONG = Array.from({ length: 28 }, (_, i) => `Sentence number ${i} is here to make the reply long, and @everyone <@&123> must not ping.`).join(' ');

let h: Harness;
const engine = new ScriptedEngine({
  pieces: 12,
  stepMs: 15,
  text: (persona, turns) => (turns.at(-1)?.text.includes('long') ? LONG : `${persona.name} says: ${turns.at(-1)?.text}`),
});
before(async () => {
  h = await startHarness({ engine, middleware: { rateLimits: { perUser: { limit: 3, windowMs: 60_000 }, perChannel: { limit: 50, windowMs: 60_000 } } } });
});
after(() => h.stop());

const botMessages = (channelId: string) => h.fake.channelMessages(channelId).filter((m) => m.author.id === h.fake.bot.id || m.webhook_id);

test('connects: IDENTIFY with the Message Content intent, and the slash commands are registered', () => {
  const intents = (h.fake.gateway.identifies[0] as { intents: number }).intents;
  assert.ok(intents & (1 << 15), 'Message Content intent requested');
  assert.deepEqual([...h.fake.commands.keys()].sort(), ['ask', 'forget', 'persona', 'privacy', 'train']);
});

test('a mention gets a streamed, edited reply split at 2,000 characters on sentence ends', async () => {
  const asked = h.fake.say(h.users.vic, h.channels.general, 'tell me something long', { mention: true });
  const replies = await h.fake.waitFor(
    () => {
      const found = botMessages(h.channels.general.id);
      return found.length === 2 && found.map((m) => m.content.replace('**Ada:** ', '')).join(' ') === LONG && found;
    },
    10_000,
    'the whole split reply',
  );
  assert.ok(replies.every((m) => m.content.length <= 2000));
  assert.match(replies[0].content, /^\*\*Ada:\*\* Sentence number 0/, 'plain replies say who speaks');
  assert.match(replies[0].content, /\.$/, 'the first part ends on a sentence end');
  assert.equal(replies[0].message_reference?.message_id, asked.id, 'the answer replies to the question');
  const edits = h.fake.requests.filter((r) => r.method === 'PATCH' && r.path.endsWith(replies[0].id));
  assert.ok(edits.length >= 1, 'the first message was edited as text streamed in');
  const typing = h.fake.requests.findIndex((r) => r.path.endsWith(`/channels/${h.channels.general.id}/typing`));
  const firstPost = h.fake.requests.findIndex((r) => r.method === 'POST' && r.path.endsWith(`/channels/${h.channels.general.id}/messages`));
  assert.ok(typing >= 0 && typing < firstPost, 'typing shown before the first words');
});

test('bots are ignored, the bot itself and its own webhook messages included', async () => {
  const before = engine.calls.length;
  h.fake.say(h.users.otherBot, h.channels.general, 'hey bot, answer me', { mention: true });
  h.fake.say(h.users.otherBot, h.channels.bound, 'in a bound channel too');
  await laterQuestionAnswered(h, h.channels.general);
  await laterQuestionAnswered(h, h.channels.bound);
  assert.equal(engine.calls.length, before + 2, 'only the two later questions reached the engine');
});

test('a channel bound to a persona is answered without a mention; a webhook carries the persona’s name and avatar', async () => {
  h.fake.say(h.users.uma, h.channels.bound, 'anyone here?');
  await h.fake.waitFor(() => botMessages(h.channels.bound.id).some((m) => m.content === '**Ada:** Ada says: anyone here?'), 5000, 'bound-channel reply');
  assert.equal(h.fake.webhooks.size, 0, 'no Manage Webhooks in that channel: a plain reply');
  h.fake.say(h.users.uma, h.channels.hooks, 'who are you?', { mention: true });
  const reply = await h.fake.waitFor(() => botMessages(h.channels.hooks.id).find((m) => m.content === 'Ada says: who are you?'), 5000, 'webhook reply');
  assert.equal(reply.webhook_id !== undefined && reply.author.username, 'Ada');
  const execute = h.fake.requests.find((r) => r.method === 'POST' && r.path.startsWith(`/api/v10/webhooks/${reply.webhook_id}/`));
  assert.equal(execute?.body.avatar_url, 'https://example.org/ada.png');
  h.fake.say(h.users.uma, h.channels.hooks, 'and again?', { replyTo: reply });
  await h.fake.waitFor(
    () => botMessages(h.channels.hooks.id).some((m) => m.content === 'Ada says: and again?'),
    5000,
    'answer to a reply to the webhook message',
  );
});

test('a direct message is answered without a mention', async () => {
  const dm = h.fake.addDirectChannel(h.users.vic);
  h.fake.say(h.users.vic, dm, 'just between us');
  await h.fake.waitFor(() => h.fake.channelMessages(dm.id).some((m) => m.content === '**Ada:** Ada says: just between us'), 5000, 'DM answer');
});

test('unaddressed chatter in an unbound channel gets no answer', async () => {
  const before = engine.calls.length;
  h.fake.say(h.users.vic, h.channels.general, 'just talking among ourselves');
  await laterQuestionAnswered(h, h.channels.general);
  assert.equal(engine.calls.length, before + 1, 'only the later question reached the engine');
});

test('the rate limit answers once with a friendly message', async () => {
  for (let i = 0; i < 5; i += 1) h.fake.say(h.users.uma, h.channels.general, `question ${i}`, { mention: true });
  await h.fake.waitFor(() => botMessages(h.channels.general.id).some((m) => m.content.startsWith('Easy there!')), 5000, 'rate-limit notice');
  await laterQuestionAnswered(h, h.channels.general);
  const notices = botMessages(h.channels.general.id).filter((m) => m.content.startsWith('Easy there!'));
  assert.equal(notices.length, 1);
});

test('a failed generation answers with a short apology and the bot keeps answering', async () => {
  engine.failures.push(new Error('the model fell over'));
  h.fake.say(h.users.voice, h.channels.hooks, 'break please', { mention: true });
  await h.fake.waitFor(() => botMessages(h.channels.hooks.id).some((m) => m.content === USER_MESSAGES.apology), 5000, 'apology');
  h.fake.say(h.users.voice, h.channels.hooks, 'still there?', { mention: true });
  await h.fake.waitFor(() => botMessages(h.channels.hooks.id).some((m) => m.content === 'Ada says: still there?'), 5000, 'next answer');
});

test('no mention objects leak: every message and edit the bot sent parses no mentions', () => {
  const sent = contentRequests(h.fake);
  assert.ok(sent.length > 3);
  for (const request of sent) {
    const allowed = request.body.allowed_mentions ?? request.body.data?.allowed_mentions;
    assert.deepEqual(allowed?.parse, [], `${request.method} ${request.path} must set allowed_mentions.parse = []`);
  }
});
