/**
 * Bulk curation and undo: a 22,000-candidate upload is reviewed oldest first (file order,
 * not hashed ids), every candidate matching a filter is approved or rejected from the CLI
 * after a preview count, and `persona review undo` takes the whole run back.
 */
import { it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/config.ts';
import { addDrafts, countSamples, decideMatching, listSamples, undoLastDecision } from '../../src/curation/index.ts';
import { dedupeKey } from '../../src/ingest/index.ts';
import type { SampleDraft } from '../../src/ingest/types.ts';
import { openStore, type Store } from '../../src/store/index.ts';
import { runCli } from '../personas/cli-helper.ts';

const BIG = 21_990;
let root: string;

function draft(ref: string, position: number, speaker: string, text: string): SampleDraft {
  // Ids are hashes in real ingests: here the reverse of the position, so id order is not file order.
  return {
    id: `${ref}-${String(99_999 - position).padStart(5, '0')}`,
    persona: 'tess',
    kind: 'monologue',
    context: [],
    text,
    speaker,
    source: { type: 'file', ref, position: String(position) },
    dedupeKey: dedupeKey(`${ref} ${text}`),
    redactions: {},
  };
}

const withStore = async <T>(run: (store: Store) => Promise<T>): Promise<T> => {
  const store = await openStore(loadConfig({ root, env: {} }).storeUrl);
  try {
    return await run(store);
  } finally {
    await store.close();
  }
};

before(async () => {
  root = mkdtempSync(join(tmpdir(), 'persona-bulk-'));
  mkdirSync(join(root, 'personas'));
  writeFileSync(join(root, 'personas', 'tess.yaml'), 'id: tess\nname: Tess\n');
  const drafts = Array.from({ length: BIG }, (_, i) =>
    draft('uploads/big.txt', i, 'Tess', i % 10 === 0 ? `ok ${i}` : `A longer line of the big upload, number ${i}.`),
  );
  for (let i = 0; i < 10; i++) drafts.push(draft('uploads/small.txt', i, 'Bob', `Bob says thing ${i} about the weather today.`));
  await withStore((store) => addDrafts(store, drafts));
});
after(() => rmSync(root, { recursive: true, force: true }));

it('22,000 candidates: oldest first in file order; bulk reject by filter in one write, then undo', { timeout: 120_000 }, async () => {
  await withStore(async (store) => {
    const queue = await listSamples(store, 'tess', 'pending');
    assert.equal(queue.length, BIG + 10);
    assert.deepEqual(
      queue.slice(0, 3).map((s) => s.source.position),
      ['0', '1', '2'],
      'the queue starts at the top of the file',
    );
    // Short lines of one speaker: every tenth line of the big file.
    const outcome = await decideMatching(store, 'tess', { speaker: 'tess', maxLength: 10 }, { action: 'reject', by: 'ada', via: 'studio' });
    assert.equal(outcome.changed, BIG / 10);
    assert.deepEqual(await countSamples(store, 'tess'), { pending: BIG + 10 - BIG / 10, approved: 0, rejected: BIG / 10, exemplary: 0 });
    const undone = await undoLastDecision(store, 'tess', 'studio');
    assert.equal(undone?.samples.length, BIG / 10);
    assert.equal((await countSamples(store, 'tess')).pending, BIG + 10);
  });

  const preview = await runCli(root, ['review', 'bulk', 'tess', 'approve', '--file', 'small', '--text', 'WEATHER']);
  assert.equal(preview.code, 0, preview.stderr);
  assert.match(preview.stdout, /^10 pending candidates of tess match; `--yes` would mark them approved\./);
  assert.equal((await withStore((store) => countSamples(store, 'tess'))).approved, 0, 'a preview changes nothing');

  const applied = await runCli(root, ['review', 'bulk', 'tess', 'approve', '--file', 'small', '--text', 'WEATHER', '--yes']);
  assert.match(applied.stdout, /^approved 10 candidates of tess/);
  assert.equal((await withStore((store) => countSamples(store, 'tess'))).approved, 10);

  const undo = await runCli(root, ['review', 'undo', 'tess']);
  assert.match(undo.stdout, /^undid approve of 10 samples; now pending/);
  assert.equal((await withStore((store) => countSamples(store, 'tess'))).approved, 0);

  const typo = await runCli(root, ['review', 'bulk', 'tess', 'reject', '--max-length', 'ten']);
  assert.equal(typo.code, 1);
  assert.match(typo.stderr, /option '--max-length <chars>' argument 'ten' is invalid/);
});
