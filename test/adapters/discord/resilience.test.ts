/**
 * Staying up when Discord misbehaves: the gateway closing mid-conversation (the client
 * resumes with op 6 and gets the events it missed) and a REST 429 whose Retry-After is
 * honoured before the message is sent again.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ScriptedEngine } from '../middleware/services.ts';
import { startHarness, type Harness } from './harness.ts';

let h: Harness;
before(async () => {
  h = await startHarness({ engine: new ScriptedEngine({ pieces: 10, stepMs: 40 }) });
});
after(() => h.stop());

const answered = (channelId: string, text: string) => h.fake.channelMessages(channelId).find((m) => m.content === `**Ada:** Ada says: ${text}`);

test('the gateway closes mid-conversation: the client resumes the session and answers what it missed', async () => {
  h.fake.say(h.users.uma, h.channels.general, 'first question', { mention: true });
  await h.fake.waitFor(() => h.fake.channelMessages(h.channels.general.id).some((m) => m.author.id === h.fake.bot.id), 5000, 'streaming started');
  h.fake.gateway.drop(4000);
  h.fake.say(h.users.uma, h.channels.general, 'asked while you were away', { mention: true });
  await h.fake.waitFor(() => answered(h.channels.general.id, 'first question'), 5000, 'first answer finished over REST');
  await h.fake.waitFor(() => answered(h.channels.general.id, 'asked while you were away'), 10_000, 'missed message answered after resume');
  assert.equal(h.fake.gateway.resumes.length, 1);
  assert.equal(h.fake.gateway.resumes[0].session_id, h.fake.gateway.sessionId);
  assert.equal(h.fake.gateway.identifies.length, 1, 'resumed, not re-identified');
});

test('a REST 429 with Retry-After is waited out, then the reply is sent', async () => {
  h.fake.failNext('POST', new RegExp(`/channels/${h.channels.bound.id}/messages$`), 429, 1);
  h.fake.say(h.users.vic, h.channels.bound, 'slow down', { mention: true });
  await h.fake.waitFor(() => answered(h.channels.bound.id, 'slow down'), 10_000, 'reply after the 429');
  const posts = h.fake.requests.filter((r) => r.method === 'POST' && r.path.endsWith(`/channels/${h.channels.bound.id}/messages`));
  assert.equal(posts.length, 2, 'refused once, sent once');
  assert.ok(posts[1].at - posts[0].at >= 1000, `retried after ${posts[1].at - posts[0].at} ms, Retry-After said 1 s`);
});
