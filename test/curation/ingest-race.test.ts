/**
 * Two ingests of the same material at once (a `--trusted` CLI ingest and a studio upload)
 * must file every sample under exactly one state; `repairIndexes` rebuilds the state sets
 * of a store that an older, non-atomic ingest left with samples under two states.
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { addDrafts, repairIndexes, SAMPLE_STATES, type SampleRecord } from '../../src/curation/index.ts';
import type { Store } from '../../src/store/index.ts';
import { onEveryBackend } from '../store/backends.ts';
import { draft } from './helpers.ts';

async function statesOf(store: Store, persona: string): Promise<Map<string, string[]>> {
  const listed = new Map<string, string[]>();
  for (const state of SAMPLE_STATES) for (const id of await store.members(`idx:${persona}:${state}`)) listed.set(id, [...(listed.get(id) ?? []), state]);
  return listed;
}

onEveryBackend('concurrent ingest', (store) => {
  it('two ingests of the same drafts at once store each sample once, under one state', async () => {
    const drafts = Array.from({ length: 300 }, (_, i) => draft('race', `L${i}`, `Line ${i} of a transcript, distinct words ${i * 7}.`));
    const [trusted, untrusted] = await Promise.all([addDrafts(store(), drafts, { trusted: true }), addDrafts(store(), drafts)]);
    assert.equal(trusted.added.length + untrusted.added.length, 300);
    assert.equal(trusted.existing + untrusted.existing, 300);
    const listed = await statesOf(store(), 'race');
    assert.equal(listed.size, 300);
    for (const [id, states] of listed) assert.equal(states.length, 1, `${id} is listed as ${states.join(' and ')}`);
  });

  it('repair puts every sample back under exactly its record state and restores dedupe keys', async () => {
    const [a, b, c] = [draft('fix', 'a', 'First sample text.'), draft('fix', 'b', 'Second sample text.'), draft('fix', 'c', 'Third sample text.')];
    await addDrafts(store(), [a, b], { trusted: true });
    await addDrafts(store(), [c]);
    // What the old race left: a in both sets, b in none, a stale id, c's dedupe key lost.
    await store().write({
      add: [
        { set: 'idx:fix:pending', member: a.id },
        { set: 'idx:fix:rejected', member: 'gone' },
      ],
      remove: [{ set: 'idx:fix:approved', member: b.id }],
      delete: [`dedupe:fix:${c.dedupeKey}`],
    });
    const report = await repairIndexes(store(), 'fix');
    assert.deepEqual(report, { persona: 'fix', samples: 3, added: 1, removed: 2, dedupeKeys: 1 });
    assert.deepEqual(Object.fromEntries(await statesOf(store(), 'fix')), { [a.id]: ['approved'], [b.id]: ['approved'], [c.id]: ['pending'] });
    assert.equal(await store().get(`dedupe:fix:${c.dedupeKey}`), c.id);
    assert.equal((await store().get<SampleRecord>(`sample:${a.id}`))?.state, 'approved');
    assert.deepEqual(await repairIndexes(store(), 'fix'), { persona: 'fix', samples: 3, added: 0, removed: 0, dedupeKeys: 0 }, 'a second repair finds nothing');
  });
});
