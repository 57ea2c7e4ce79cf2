// Packing: rows hold whole samples, labels are the persona's tokens only, long samples split.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { countTargets, packSamples, splitSample, type TokenizedSample } from '../../../src/training/trainer/packing.ts';
import { rowsToBatch } from '../../../src/training/trainer/batches.ts';

const PAD = 0;
/** A sample of `context` untrainable tokens then `reply` persona tokens, token ids tagged by sample. */
function sample(tag: number, context: number, reply: number, weight = 1): TokenizedSample {
  const ids = Array.from({ length: context + reply }, (_, i) => tag * 100 + i + 1);
  const targets = new Uint8Array(context + reply).fill(1, context);
  return { ids, targets, weight };
}

test('packed labels are -100 everywhere except exactly the persona tokens', () => {
  const samples = [sample(1, 3, 2), sample(2, 4, 1), sample(3, 2, 3), sample(4, 5, 2)];
  const rows = packSamples(samples, { seqLen: 12, padId: PAD, seed: 7 });
  const batch = rowsToBatch(rows, rows.length, 12, PAD);
  const labelled = new Set<number>();
  batch.labels.forEach((label, i) => {
    if (label === -100n) return;
    assert.equal(label, batch.inputIds[i], 'a label is the token at its own position (the model shifts)');
    labelled.add(Number(label));
  });
  const expected = new Set(samples.flatMap((s) => s.ids.filter((_, i) => s.targets[i] === 1)));
  assert.deepEqual([...labelled].sort(), [...expected].sort());
  assert.equal(countTargets(rows), expected.size);
  // Every sample's tokens appear contiguously and once; padding is the pad id with no label.
  const all = [...batch.inputIds].map(Number).filter((id) => id !== PAD);
  assert.equal(
    all.length,
    samples.reduce((n, s) => n + s.ids.length, 0),
  );
  assert.ok(rows.length <= 3, `best-fit packing of 29 tokens into rows of 12 should need 3 rows, got ${rows.length}`);
});

test('monologue samples (all tokens targets) train on every token after the first of the row', () => {
  const mono: TokenizedSample = { ids: [5, 6, 7, 8], targets: new Uint8Array([1, 1, 1, 1]), weight: 1 };
  const batch = rowsToBatch(packSamples([mono], { seqLen: 6, padId: PAD, seed: 1 }), 1, 6, PAD);
  assert.deepEqual([...batch.labels], [-100n, 6n, 7n, 8n, -100n, -100n]);
  assert.deepEqual([...batch.inputIds], [5n, 6n, 7n, 8n, 0n, 0n]);
});

test('a long sample is split so that every target is predicted exactly once, with context', () => {
  const ids = Array.from({ length: 20 }, (_, i) => i + 1);
  const targets = new Uint8Array(20).fill(1, 4);
  const pieces = splitSample(ids, targets, 8);
  assert.deepEqual(
    pieces.map((p) => p.ids[0]),
    [1, 8, 15],
  );
  const predicted = pieces.flatMap((p) => p.ids.filter((_, i) => i > 0 && p.targets[i] === 1));
  assert.deepEqual(predicted, ids.slice(4));
  // A piece with nothing to learn is dropped.
  assert.equal(splitSample(ids, new Uint8Array(20).fill(1, 18), 8).length, 1);
});

test('weights repeat exemplary samples and drop weight-0 ones; validation ignores weights', () => {
  const samples = [sample(1, 2, 2, 3), sample(2, 2, 2, 0), sample(3, 2, 2, 1)];
  const rows = packSamples(samples, { seqLen: 4, padId: PAD, seed: 3 });
  const firsts = rows.map((r) => r.ids[0]).sort();
  assert.deepEqual(firsts, [101, 101, 101, 301]);
  assert.equal(packSamples(samples, { seqLen: 4, padId: PAD, seed: 3, ignoreWeights: true }).length, 2);
});

test('the same seed packs the same rows; another seed shuffles differently', () => {
  const samples = Array.from({ length: 40 }, (_, i) => sample(i + 1, (i * 7) % 5, 1 + (i % 4)));
  const flat = (seed: number) => packSamples(samples, { seqLen: 16, padId: PAD, seed }).flatMap((r) => [...r.ids]);
  assert.deepEqual(flat(11), flat(11));
  assert.notDeepEqual(flat(11), flat(12));
});

test('monologue passages are poured into the free space and new rows, cut with one token of overlap', () => {
  const conversation = sample(9, 6, 3); // 9 tokens, stays whole
  const passages: TokenizedSample[] = [1, 2, 3].map((tag) => ({
    ids: Array.from({ length: 10 }, (_, i) => tag * 100 + i + 1),
    targets: new Uint8Array(10).fill(1),
    weight: 1,
    splittable: true,
  }));
  const rows = packSamples([conversation, ...passages], { seqLen: 12, padId: PAD, seed: 4 });
  // 9 + 30 tokens (+ one repeated token per cut) fill 4 rows of 12, all but the last full.
  assert.equal(rows.length, 4);
  assert.deepEqual(
    rows.slice(0, 3).map((r) => r.used),
    [12, 12, 12],
  );
  assert.equal(countTargets(rows), 3 + 30);
  const batch = rowsToBatch(rows, rows.length, 12, PAD);
  const labelled = [...batch.labels].filter((l) => l !== -100n).map(Number);
  const expected = [...conversation.ids.slice(6), ...passages.flatMap((p) => p.ids)];
  assert.deepEqual(labelled.sort(), expected.sort(), 'every persona token is a label exactly once');
  // A continuation row starts with the token before the cut, not a target.
  for (const row of rows.slice(1)) if (row.ids[0] > 100 && row.ids[0] % 100 !== 1) assert.equal(row.targets[0], 0);
});
