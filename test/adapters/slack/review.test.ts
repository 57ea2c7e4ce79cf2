// Curating in Slack (Socket Mode): the review queue is posted, and curators' reactions
// approve, reject, correct and star candidates in the store; taking a reaction back reverts.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CURATOR, OTHER, REVIEW, laterDecisionApplied, postCandidate, startHarness, waitFor, type Harness } from './harness.ts';

describe('Slack review channel (Socket Mode)', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ mode: 'socket' });
  });
  after(async () => h.close());

  const status = async (id: string) => (await h.sample(id))?.state;
  const shown = (ts: string) => JSON.stringify(h.fake.workspace.find(REVIEW, ts)?.blocks ?? []);

  it('posts pending candidates oldest first, one message each, with persona, context, reply and source', async () => {
    const first = await postCandidate(h, 'First of all, let me assert my firm belief.');
    const second = await postCandidate(h, 'The nation asks for action, and action now.');
    assert.ok(Number(first.ts) < Number(second.ts));
    const text = shown(first.ts);
    for (const part of ['Franklin D. Roosevelt', 'Reporter', 'Mr President, what now?', 'let me assert my firm belief', 'transcripts/fdr.txt', 'Pending']) {
      assert.ok(text.includes(part), `review message shows ${part}`);
    }
    assert.equal(await h.adapter.postReviewQueue(), 0, 'nothing is posted twice');
  });

  it('✅ by a curator approves, marks the message, and shows in the dataset stats at once', async () => {
    const { id, ts } = await postCandidate(h);
    const before = await h.datasetStats();
    await h.deliver(h.fake.workspace.react(CURATOR, REVIEW, ts, 'white_check_mark'));
    await waitFor(async () => (await status(id)) === 'approved', 'approval');
    const after = await h.datasetStats();
    assert.equal(after.states.approved, before.states.approved + 1, '`persona dataset stats` counts it');
    assert.equal(after.train + after.validation, before.train + before.validation + 1, 'the next training snapshot includes it');
    assert.notEqual(after.version, before.version);
    await waitFor(() => shown(ts).includes(`Approved by <@${CURATOR}>`), 'outcome on the message');
  });

  it('❌ rejects; removing the reaction reverts to pending', async () => {
    const { id, ts } = await postCandidate(h);
    await h.deliver(h.fake.workspace.react(CURATOR, REVIEW, ts, 'x'));
    await waitFor(async () => (await status(id)) === 'rejected', 'rejection');
    await waitFor(() => shown(ts).includes('Rejected'), 'rejection shown');
    await h.deliver(h.fake.workspace.unreact(CURATOR, REVIEW, ts, 'x'));
    await waitFor(async () => (await status(id)) === 'pending', 'revert');
    await waitFor(() => shown(ts).includes('Pending'), 'pending shown again');
  });

  it('✏️ then a thread reply by the curator approves the corrected text, keeping the original', async () => {
    const { id, ts } = await postCandidate(h, 'We hav nothing to fear.');
    await h.deliver(h.fake.workspace.react(CURATOR, REVIEW, ts, 'pencil2'));
    await waitFor(() => shown(ts).includes('reply in this thread'), 'request for the corrected text');
    assert.equal(await status(id), 'pending');
    await h.deliver(h.fake.workspace.post(CURATOR, REVIEW, 'We have nothing to fear.', ts));
    await waitFor(async () => (await status(id)) === 'approved', 'edit applied');
    assert.equal((await h.sample(id))?.editedText, 'We have nothing to fear.');
    assert.equal((await h.sample(id))?.text, 'We hav nothing to fear.');
    await waitFor(() => shown(ts).includes('Corrected'), 'correction shown');
  });

  it('a thread reply first, then ✏️, also takes the reply as the correction', async () => {
    const { id, ts } = await postCandidate(h, 'Speak softly.');
    await h.deliver(h.fake.workspace.post(CURATOR, REVIEW, 'Speak softly and carry a big stick.', ts));
    assert.equal(await status(id), 'pending', 'a thread reply alone is discussion');
    await h.deliver(h.fake.workspace.react(CURATOR, REVIEW, ts, 'pencil2'));
    await waitFor(async () => (await h.sample(id))?.editedText === 'Speak softly and carry a big stick.', 'edit applied');
  });

  it('⭐ marks a candidate exemplary; removing it takes that back', async () => {
    const { id, ts } = await postCandidate(h);
    await h.deliver(h.fake.workspace.react(CURATOR, REVIEW, ts, 'star'));
    await waitFor(async () => (await h.sample(id))?.exemplary === true, 'exemplary');
    await h.deliver(h.fake.workspace.unreact(CURATOR, REVIEW, ts, 'star'));
    await waitFor(async () => (await h.sample(id))?.exemplary === false, 'exemplary withdrawn');
  });

  it("ignores and counts a non-curator's reactions", async () => {
    const { id, ts } = await postCandidate(h);
    const ignoredBefore = h.adapter.ignoredReactions();
    const updatesBefore = h.fake.callsTo('chat.update').length;
    await h.deliver(h.fake.workspace.react(OTHER, REVIEW, ts, 'white_check_mark'));
    await h.deliver(h.fake.workspace.react(OTHER, REVIEW, ts, 'x'));
    await waitFor(() => h.adapter.ignoredReactions() === ignoredBefore + 2, 'ignored reactions counted');
    assert.equal(await status(id), 'pending');
    assert.equal(h.fake.callsTo('chat.update').length, updatesBefore, 'the message is not marked');
  });

  it('the same event delivered twice (retry, same event_id) counts once', async () => {
    const { id, ts } = await postCandidate(h);
    const approve = h.fake.workspace.react(CURATOR, REVIEW, ts, 'white_check_mark');
    await h.deliver(approve, { eventId: 'EvAPPROVE1' });
    await waitFor(async () => (await status(id)) === 'approved', 'approval');
    await h.deliver(h.fake.workspace.unreact(CURATOR, REVIEW, ts, 'white_check_mark'));
    await waitFor(async () => (await status(id)) === 'pending', 'revert');
    await h.deliver(approve, { eventId: 'EvAPPROVE1', retryNum: 1 });
    // Events on one connection are handled in order: a later decision applied proves the retry was seen.
    await laterDecisionApplied(h);
    assert.equal(await status(id), 'pending', 'the redelivered approval was not applied again');
  });

  it('ignores review events for a persona that no longer exists, and does not post its candidates', async () => {
    const ghostFile = join(h.personasDir, 'ghost.yaml');
    writeFileSync(ghostFile, 'id: ghost\nname: Ghost\n');
    const id = await h.addCandidate('Boo.', [], 'ghost');
    await h.adapter.postReviewQueue();
    const posted = h.fake.workspace.messagesIn(REVIEW).find((message) => JSON.stringify(message.blocks ?? []).includes(`\`${id}\``));
    assert.ok(posted);
    rmSync(ghostFile);
    await h.deliver(h.fake.workspace.react(CURATOR, REVIEW, posted.ts, 'white_check_mark'));
    const later = await h.addCandidate('Boo again.', [], 'ghost');
    assert.equal(await h.adapter.postReviewQueue(), 0);
    await laterDecisionApplied(h);
    assert.equal(await status(id), 'pending');
    assert.equal(await status(later), 'pending');
  });

  it('ignores an edit of a rejected candidate, deleted messages and reactions on unknown messages', async () => {
    const { id, ts } = await postCandidate(h, 'Original words.');
    await h.deliver(h.fake.workspace.react(CURATOR, REVIEW, ts, 'x'));
    await waitFor(async () => (await status(id)) === 'rejected', 'rejection');
    await h.deliver(h.fake.workspace.post(CURATOR, REVIEW, 'Sneaky correction.', ts));
    await h.deliver(h.fake.workspace.react(CURATOR, REVIEW, ts, 'pencil2'));
    await h.deliver(h.fake.workspace.post(CURATOR, REVIEW, 'Another correction.', ts));
    await h.deliver(h.fake.workspace.react(CURATOR, REVIEW, '1600000000.000001', 'white_check_mark'));
    await h.deliver(h.fake.workspace.remove(REVIEW, ts));
    await laterDecisionApplied(h);
    assert.equal(await status(id), 'rejected');
    assert.equal((await h.sample(id))?.editedText, undefined);
  });
});
