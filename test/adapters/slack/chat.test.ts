// Chat and capture in Slack (Socket Mode): a mention or a DM gets an in-character reply; a
// persona's voice speaking in a channel becomes a pending candidate with its context, which
// the review queue posts — paced, and waiting out a 429's Retry-After.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DM, GENERAL, OTHER, REPLY_TEXT, REVIEW, VOICE, startHarness, waitFor, type Harness } from './harness.ts';

describe('Slack chat, capture and queue pacing (Socket Mode)', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ mode: 'socket' });
  });
  after(async () => h.close());

  const botReplies = (channel: string) => h.fake.workspace.messagesIn(channel).filter((message) => message.botId && message.text === REPLY_TEXT);

  let asked = 0;
  /** The positive signal for "nothing else happened": a later mention in the channel has been answered. */
  async function laterMentionAnswered(): Promise<void> {
    asked += 1;
    const mention = h.fake.workspace.mention(`ULATER${asked}`, GENERAL, `a later question ${asked}`); // a new user: clear of rate limits
    await h.deliver(mention);
    await waitFor(() => botReplies(GENERAL).some((reply) => reply.threadTs === mention.ts), 'the later mention answered');
  }

  it('answers a mention in a channel in character, in the thread, under the persona name', async () => {
    const mention = h.fake.workspace.mention(OTHER, GENERAL, 'what do you think of the economy?');
    await h.deliver(mention);
    const [reply] = await waitFor(() => (botReplies(GENERAL).length ? botReplies(GENERAL) : undefined), 'a reply');
    assert.equal(reply.threadTs, mention.ts);
    const post = h.fake.callsTo('chat.postMessage').find((call) => call.params.text === REPLY_TEXT);
    assert.equal(post?.params.username, 'Franklin D. Roosevelt');
  });

  it('answers the same post once when it arrives as both message and app_mention', async () => {
    const mention = h.fake.workspace.mention(OTHER, GENERAL, 'and the war?');
    await h.deliver({ ...mention, type: 'message' });
    await h.deliver(mention);
    await waitFor(() => botReplies(GENERAL).some((reply) => reply.threadTs === mention.ts), 'a reply');
    await laterMentionAnswered();
    assert.equal(botReplies(GENERAL).filter((reply) => reply.threadTs === mention.ts).length, 1);
  });

  it('answers a direct message', async () => {
    await h.deliver(h.fake.workspace.post(OTHER, DM, 'hello there'));
    await waitFor(() => botReplies(DM).length === 1, 'a DM reply');
  });

  it("captures a persona voice's channel message as a pending candidate with context, and posts it for review", async () => {
    h.fake.workspace.post(OTHER, GENERAL, 'Mr President, how do we get through this winter?');
    const spoken = h.fake.workspace.post(VOICE, GENERAL, 'Together, and with courage.');
    await h.deliver(spoken);
    const candidate = await waitFor(async () => (await h.pending()).find((sample) => sample.text === 'Together, and with courage.'), 'capture');
    assert.equal(candidate.persona, 'fdr');
    assert.equal(candidate.source.type, 'slack');
    assert.ok(candidate.context.some((turn) => turn.text.includes('how do we get through this winter')));
    assert.equal(botReplies(GENERAL).filter((reply) => reply.threadTs === spoken.ts).length, 0, 'a voice speaking is not a question to answer');
    await h.adapter.postReviewQueue();
    const posted = h.fake.workspace.messagesIn(REVIEW).find((message) => JSON.stringify(message.blocks).includes('Together, and with courage.'));
    assert.ok(posted, 'posted to the review channel');
    assert.ok(JSON.stringify(posted.blocks).includes('fake.slack.test/archives'), 'with a link to the message');
  });

  it('does not spend Web API calls on chatter no persona could act on', async () => {
    // What answering one mention costs, then chatter followed by the same kind of mention.
    let before = h.fake.calls.length;
    await laterMentionAnswered();
    const mentionAlone = h.fake.calls.slice(before).map((call) => call.method);
    before = h.fake.calls.length;
    await h.deliver(h.fake.workspace.post(OTHER, GENERAL, 'lunch anyone?'));
    await laterMentionAnswered();
    const withChatter = h.fake.calls.slice(before).map((call) => call.method);
    assert.ok(withChatter.length <= mentionAlone.length, `chatter added calls: ${withChatter.join(', ')} vs ${mentionAlone.join(', ')}`);
    assert.ok(
      withChatter.every((method) => mentionAlone.includes(method)),
      withChatter.join(', '),
    );
  });

  it('ignores deleted and edited messages', async () => {
    const spoken = h.fake.workspace.post(VOICE, GENERAL, 'Words I take back.');
    const before = (await h.pending()).length;
    await h.deliver(h.fake.workspace.remove(GENERAL, spoken.ts));
    await h.deliver({ type: 'message', subtype: 'message_changed', channel: GENERAL, ts: spoken.ts, message: { text: 'changed', user: VOICE } });
    // A later message of the voice is captured: the two before it were handled, and added nothing.
    await h.deliver(h.fake.workspace.post(VOICE, GENERAL, 'Words I stand by.'));
    await waitFor(async () => (await h.pending()).some((sample) => sample.text === 'Words I stand by.'), 'the later capture');
    assert.equal((await h.pending()).length, before + 1);
  });

  it('posts a backlog oldest first, paced, waiting out a 429 Retry-After without losing or doubling a post', async () => {
    await h.adapter.postReviewQueue();
    const texts = ['Backlog one.', 'Backlog two.', 'Backlog three.'];
    for (const text of texts) await h.addCandidate(text, []);
    h.fake.rateLimit('chat.postMessage', 1);
    const started = performance.now();
    assert.equal(await h.adapter.postReviewQueue(), 3);
    const posts = h.fake.calls.filter((call) => call.method === 'chat.postMessage' && call.at >= started);
    assert.deepEqual(
      posts.map((call) => call.status),
      [429, 200, 200, 200],
    );
    assert.ok(posts[1].at - posts[0].at >= 1000, `waited ${Math.round(posts[1].at - posts[0].at)} ms after Retry-After: 1`);
    assert.ok(posts[3].at - posts[2].at >= 15, 'posts are paced');
    const shown = h.fake.workspace.messagesIn(REVIEW).map((message) => JSON.stringify(message.blocks));
    const order = texts.map((text) => shown.findIndex((blocks) => blocks.includes(text)));
    assert.ok(order.every((index) => index >= 0) && order[0] < order[1] && order[1] < order[2], 'oldest first, each once');
    assert.equal(shown.filter((blocks) => blocks.includes('Backlog one.')).length, 1);
  });
});
