/**
 * The ONNX cache does not grow forever: pruning (run at `persona serve` start) removes the
 * exports of folders that are gone and entries no load has used for the idle limit, keeps
 * what serving still uses, and a pruned export is written again on the next load.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { ensureInferenceOnnx } from '../../../src/modelfmt/onnx/folder-graph.ts';
import { ONNX_CACHE_MAX_IDLE_DAYS, ONNX_CACHE_SOURCE, pruneOnnxCache } from '../../../src/modelfmt/onnx/onnx-cache.ts';
import { writeTinyModelFolder } from '../../fixtures/tiny-model-folder.ts';

const DAY_MS = 86_400_000;

/** Sets a file's times to `daysAgo` days before now. */
function age(file: string, daysAgo: number): void {
  const when = new Date(Date.now() - daysAgo * DAY_MS);
  utimesSync(file, when, when);
}

test('pruning removes exports of vanished folders and idle entries, and keeps those in use', (t) => {
  const kept = writeTinyModelFolder({ onnx: false }).dir;
  const removed = writeTinyModelFolder({ onnx: false, seed: 2 }).dir;
  const cache = mkdtempSync(join(tmpdir(), 'onnx-cache-'));
  t.after(() => {
    for (const dir of [kept, removed, cache]) rmSync(dir, { recursive: true, force: true });
  });

  const keptOnnx = ensureInferenceOnnx(kept, cache);
  const removedOnnx = ensureInferenceOnnx(removed, cache);
  assert.notEqual(dirname(keptOnnx), dirname(removedOnnx));
  rmSync(removed, { recursive: true, force: true });
  // An export written before entries had a record, untouched for longer than the limit.
  const legacy = join(cache, 'legacy');
  mkdirSync(legacy);
  writeFileSync(join(legacy, 'model.onnx'), 'old');
  age(join(legacy, 'model.onnx'), ONNX_CACHE_MAX_IDLE_DAYS + 1);
  age(legacy, ONNX_CACHE_MAX_IDLE_DAYS + 1);
  // The kept folder's entry was last used long ago too, but is loaded again now: that counts as use.
  age(join(dirname(keptOnnx), ONNX_CACHE_SOURCE), ONNX_CACHE_MAX_IDLE_DAYS + 1);
  assert.equal(ensureInferenceOnnx(kept, cache), keptOnnx);

  const pruned = pruneOnnxCache(cache);
  assert.deepEqual(pruned.map((entry) => entry.reason).sort(), ['source gone', 'unused']);
  assert.deepEqual(readdirSync(cache), [keptOnnx.split('/').at(-2)], 'only the entry in use is left');
  assert.ok(existsSync(keptOnnx));

  // Unused past the limit → pruned; the next load exports it again under the same key.
  const later = Date.now() + (ONNX_CACHE_MAX_IDLE_DAYS + 1) * DAY_MS;
  assert.deepEqual(
    pruneOnnxCache(cache, { now: later }).map((entry) => entry.reason),
    ['unused'],
  );
  assert.equal(existsSync(keptOnnx), false);
  assert.equal(ensureInferenceOnnx(kept, cache), keptOnnx);
  assert.ok(existsSync(keptOnnx));
  assert.deepEqual(pruneOnnxCache(join(cache, 'missing')), [], 'no cache yet: nothing to do');
});
