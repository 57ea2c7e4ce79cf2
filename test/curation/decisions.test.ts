/** Decisions from every origin, their history, replayed events, reverts and concurrent curators. */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { addDrafts, countSamples, decide, getSample, listSamples, revertDecision } from '../../src/curation/index.ts';
import { isPersonaError } from '../../src/errors.ts';
import { onEveryBackend } from '../store/backends.ts';
import { draft } from './helpers.ts';

onEveryBackend('decisions', (store) => {
  async function candidate(persona: string, text = 'We choose to go to the moon.') {
    const d = draft(persona, 'm1', text, { author: { platform: 'slack', id: 'U1' } });
    await addDrafts(store(), [d]);
    return d.id;
  }

  it('approve, edit and exemplary record who, when and where, and the lists follow', async () => {
    const id = await candidate('dec');
    await decide(store(), { sampleId: id, action: 'approve', by: 'U_CURATOR', via: 'slack', where: 'slack:C1/1.2', at: 1000 });
    let sample = (await getSample(store(), id))!;
    assert.deepEqual([sample.state, sample.decidedBy, sample.decidedVia, sample.decidedAt], ['approved', 'U_CURATOR', 'slack', 1000]);
    assert.equal(sample.history[0].where, 'slack:C1/1.2');

    await decide(store(), { sampleId: id, action: 'edit', text: 'We choose to go to the Moon!', by: 'ann', via: 'studio' });
    await decide(store(), { sampleId: id, action: 'exemplary', by: 'bob', via: 'discord' });
    sample = (await getSample(store(), id))!;
    assert.equal(sample.text, 'We choose to go to the moon.', 'the original is kept');
    assert.equal(sample.editedText, 'We choose to go to the Moon!');
    assert.equal(sample.exemplary, true);
    assert.deepEqual(
      sample.history.map((d) => `${d.action}/${d.via}`),
      ['approve/slack', 'edit/studio', 'exemplary/discord'],
    );
    assert.deepEqual(await countSamples(store(), 'dec'), { pending: 0, approved: 1, rejected: 0, exemplary: 1 });

    await decide(store(), { sampleId: id, action: 'reject', by: 'carol', via: 'cli' });
    assert.deepEqual(await countSamples(store(), 'dec'), { pending: 0, approved: 0, rejected: 1, exemplary: 0 });
    assert.equal((await listSamples(store(), 'dec', 'rejected'))[0].id, id);
  });

  it('a replayed event (same delivery id) applies once', async () => {
    const id = await candidate('replay');
    const first = await decide(store(), { sampleId: id, action: 'approve', by: 'U1', via: 'slack', eventId: 'Ev1' });
    const again = await decide(store(), { sampleId: id, action: 'approve', by: 'U1', via: 'slack', eventId: 'Ev1' });
    assert.equal(first.applied, true);
    assert.deepEqual([again.applied, again.applied ? '' : again.reason], [false, 'duplicate']);
    assert.equal((await getSample(store(), id))!.history.length, 1);
  });

  it('reverting a decision restores the previous state, even with later decisions in between', async () => {
    const id = await candidate('revert');
    await decide(store(), { sampleId: id, action: 'approve', by: 'A', via: 'slack', eventId: 'add-A' });
    assert.equal((await getSample(store(), id))!.state, 'approved');
    const undone = await revertDecision(store(), { sampleId: id, action: 'approve', by: 'A', eventId: 'remove-A' });
    assert.equal(undone.sample.state, 'pending');
    assert.deepEqual(await countSamples(store(), 'revert'), { pending: 1, approved: 0, rejected: 0, exemplary: 0 });
    const replayed = await revertDecision(store(), { sampleId: id, action: 'approve', by: 'A', eventId: 'remove-A' });
    assert.equal(replayed.applied, false);

    // A approves, B rejects, then A's approval is withdrawn: B's rejection still stands.
    await decide(store(), { sampleId: id, action: 'approve', by: 'A', via: 'slack' });
    await decide(store(), { sampleId: id, action: 'reject', by: 'B', via: 'slack' });
    assert.equal((await revertDecision(store(), { sampleId: id, action: 'approve', by: 'A' })).sample.state, 'rejected');
    // …and withdrawing B's rejection leaves the sample as it arrived.
    assert.equal((await revertDecision(store(), { sampleId: id, action: 'reject', by: 'B' })).sample.state, 'pending');
    const nothing = await revertDecision(store(), { sampleId: id, action: 'exemplary', by: 'A' });
    assert.deepEqual([nothing.applied, nothing.applied ? '' : nothing.reason], [false, 'nothing_to_revert']);
  });

  it('an edit without text and a decision on a missing sample fail with one sentence', async () => {
    const id = await candidate('bad');
    await assert.rejects(decide(store(), { sampleId: id, action: 'edit', text: '  ', by: 'x', via: 'cli' }), (e) => isPersonaError(e, 'invalid_argument'));
    await assert.rejects(decide(store(), { sampleId: 'missing', action: 'approve', by: 'x', via: 'cli' }), (e) => isPersonaError(e, 'sample_not_found'));
  });

  it('concurrent curators never lose a decision', async () => {
    const id = await candidate('race');
    await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        decide(store(), { sampleId: id, action: i % 2 ? 'approve' : 'exemplary', by: `c${i}`, via: 'slack', eventId: `e${i}` }),
      ),
    );
    const sample = (await getSample(store(), id))!;
    assert.equal(sample.history.length, 8);
    assert.equal(new Set(sample.history.map((d) => d.eventId)).size, 8);
  });
});
