/** Opting out removes a user's pending candidates, keeps what curators approved, and blocks capture. */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { addDrafts, countSamples, decide, isOptedOut, listSamples, optIn, optOut } from '../../src/curation/index.ts';
import { onEveryBackend } from '../store/backends.ts';
import { draft } from './helpers.ts';

onEveryBackend('opt-out', (store) => {
  it('removes pending candidates, keeps approved ones, and refuses new captures until opt-in', async () => {
    const alice = { platform: 'discord', id: '111' };
    const bob = { platform: 'discord', id: '222' };
    const [a1, a2, b1] = [
      draft('consent', 'a1', 'Alice one.', { author: alice }),
      draft('consent', 'a2', 'Alice two.', { author: alice }),
      draft('consent', 'b1', 'Bob one.', { author: bob }),
    ];
    await addDrafts(store(), [a1, a2, b1]);
    await decide(store(), { sampleId: a2.id, action: 'approve', by: 'curator', via: 'cli' });

    assert.deepEqual(await optOut(store(), 'discord', '111'), { removedCandidates: 1 });
    assert.equal(await isOptedOut(store(), 'discord', '111'), true);
    assert.equal(await isOptedOut(store(), 'slack', '111'), false, 'opt-out is per platform');
    assert.deepEqual(
      (await listSamples(store(), 'consent', 'pending')).map((s) => s.text),
      ['Bob one.'],
    );
    assert.deepEqual(await countSamples(store(), 'consent'), { pending: 1, approved: 1, rejected: 0, exemplary: 0 });

    const refused = await addDrafts(store(), [draft('consent', 'a3', 'Alice three.', { author: alice }), a1]);
    assert.deepEqual({ added: refused.added.length, optedOut: refused.optedOut }, { added: 0, optedOut: 2 });

    await optIn(store(), 'discord', '111');
    assert.equal((await addDrafts(store(), [draft('consent', 'a3', 'Alice three.', { author: alice })])).added.length, 1);
  });
});
