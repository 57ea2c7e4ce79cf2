/** Adding drafts: idempotent by stable id, near-duplicates skipped and counted, trusted vs captured. */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { addDrafts, countSamples, listSamples, requireSample } from '../../src/curation/index.ts';
import { isPersonaError } from '../../src/errors.ts';
import { onEveryBackend } from '../store/backends.ts';
import { draft } from './helpers.ts';

onEveryBackend('samples', (store) => {
  it('adding the same material twice adds nothing the second time', async () => {
    const drafts = [draft('idem', 'L1', 'Four score and seven years ago.'), draft('idem', 'L2', 'Our fathers brought forth a new nation.')];
    const first = await addDrafts(store(), drafts, { trusted: true });
    const second = await addDrafts(store(), drafts, { trusted: true });
    assert.equal(first.added.length, 2);
    assert.deepEqual({ added: second.added.length, existing: second.existing }, { added: 0, existing: 2 });
    assert.deepEqual(await countSamples(store(), 'idem'), { pending: 0, approved: 2, rejected: 0, exemplary: 0 });
  });

  it('skips and counts near-duplicates of stored samples, and within one batch', async () => {
    await addDrafts(store(), [draft('near', 'a', 'Hello, world!!')]);
    const result = await addDrafts(store(), [draft('near', 'b', 'hello world'), draft('near', 'c', 'Something new.'), draft('near', 'd', 'something   NEW')]);
    assert.deepEqual({ added: result.added.length, duplicates: result.duplicates }, { added: 1, duplicates: 2 });
    assert.equal((await listSamples(store(), 'near', 'pending')).length, 2);
  });

  it('the same text under another persona is not a duplicate', async () => {
    await addDrafts(store(), [draft('dup-a', '1', 'Ask not what your country can do for you.')]);
    const other = await addDrafts(store(), [draft('dup-b', '1', 'Ask not what your country can do for you.')]);
    assert.equal(other.added.length, 1);
  });

  it('trusted sources arrive approved, chat captures wait for review', async () => {
    await addDrafts(store(), [draft('states', 't1', 'A trusted transcript line.')], { trusted: true });
    await addDrafts(store(), [draft('states', 'c1', 'A captured chat line.', { author: { platform: 'discord', id: '42' } })]);
    const [approved] = await listSamples(store(), 'states', 'approved');
    const [pending] = await listSamples(store(), 'states', 'pending');
    assert.equal(approved.text, 'A trusted transcript line.');
    assert.equal(approved.decidedVia, 'ingest');
    assert.equal(pending.text, 'A captured chat line.');
    assert.equal(pending.decidedBy, undefined);
  });

  it('lists a state oldest first and names a missing sample in one sentence', async () => {
    await addDrafts(store(), [draft('order', 'x', 'Second in id order maybe.')], { now: 2000 });
    await addDrafts(store(), [draft('order', 'y', 'First by time.')], { now: 1000 });
    assert.deepEqual(
      (await listSamples(store(), 'order', 'pending')).map((s) => s.text),
      ['First by time.', 'Second in id order maybe.'],
    );
    await assert.rejects(requireSample(store(), 'nope', 'order'), (error) => isPersonaError(error, 'sample_not_found') && /nope/.test(error.message));
  });
});
