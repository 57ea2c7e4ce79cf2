/**
 * Serving never writes into a model folder: a folder without onnx/model.onnx, or with one an
 * older version of our exporter wrote, is served from an export in the ONNX cache (int8 stays
 * int8), reused on the next load; files other tools wrote and ONNX-only folders are served as
 * they are. A read-only base loads and stays byte-identical.
 */
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { test, type TestContext } from 'node:test';
import { OnnxGraphBuilder } from '../../../src/modelfmt/onnx/onnx-builder.ts';
import { loadInferenceModel } from '../../../src/inference/loaded-model.ts';
import { ensureInferenceOnnx, INFERENCE_ONNX_PATH, readProducer } from '../../../src/modelfmt/onnx/folder-graph.ts';
import { inferenceGraphFormat } from '../../../src/modelfmt/onnx/graph-format.ts';
import { writeTinyModelFolder } from '../../fixtures/tiny-model-folder.ts';

/** A graph as the exporter wrote it before format tags: our producer name, no version. */
function untaggedGraph(extraOp?: string): Uint8Array {
  const b = new OnnxGraphBuilder('old_export');
  b.input('x', 'float32', [1]);
  b.op(extraOp ?? 'Identity', extraOp ? ['x', 'x'] : ['x'], {}, 'y');
  b.output('y', 'float32', [1]);
  return b.toBytes();
}

/** A tiny folder without ONNX and an empty cache, both removed after the test. */
function folderAndCache(t: TestContext): { dir: string; cache: string } {
  const { dir } = writeTinyModelFolder({ onnx: false });
  const cache = mkdtempSync(join(tmpdir(), 'onnx-cache-'));
  t.after(() => {
    chmodSync(dir, 0o755);
    rmSync(dir, { recursive: true, force: true });
    rmSync(cache, { recursive: true, force: true });
  });
  return { dir, cache };
}

/** Every file under `dir` with its bytes, for byte-identity checks. */
function snapshot(dir: string): Map<string, Buffer> {
  const files = readdirSync(dir, { recursive: true, withFileTypes: true }).filter((entry) => entry.isFile());
  return new Map(files.map((entry) => [relative(dir, join(entry.parentPath, entry.name)), readFileSync(join(entry.parentPath, entry.name))]));
}

test('a folder without ONNX is exported into the cache once, and the folder is left alone', (t) => {
  const { dir, cache } = folderAndCache(t);
  const before = snapshot(dir);
  const target = ensureInferenceOnnx(dir, cache);
  assert.ok(target.startsWith(cache), target);
  assert.deepEqual(readProducer(target), { name: 'persona-builder', version: inferenceGraphFormat({}) });
  assert.deepEqual(snapshot(dir), before);
  const written = statSync(target).mtimeMs;
  assert.equal(ensureInferenceOnnx(dir, cache), target);
  assert.equal(statSync(target).mtimeMs, written, 'the cached export is reused, not rewritten');
});

test('an outdated file of ours is served from a fresh cached export; a current one from the folder', (t) => {
  const { dir, cache } = folderAndCache(t);
  const own = join(dir, INFERENCE_ONNX_PATH);
  const old = Buffer.from(untaggedGraph());
  writeOwn(own, old);
  const target = ensureInferenceOnnx(dir, cache);
  assert.notEqual(target, own);
  assert.equal(readProducer(target)?.version, inferenceGraphFormat({}));
  assert.ok(readFileSync(own).equals(old), "the folder's own file is not rewritten");

  const current = readFileSync(target);
  writeFileSync(own, current);
  assert.equal(ensureInferenceOnnx(dir, cache), own, 'a current export in the folder is served as it is');
});

test('an old int8 export comes back int8', (t) => {
  const { dir, cache } = folderAndCache(t);
  const own = join(dir, INFERENCE_ONNX_PATH);
  writeOwn(own, untaggedGraph('MatMulInteger'));
  const target = ensureInferenceOnnx(dir, cache);
  assert.equal(readProducer(target)?.version, inferenceGraphFormat({ quantize: 'int8' }));
  assert.ok(readFileSync(target).includes('MatMulInteger'));
});

test("other tools' files and folders without weights are served byte for byte", (t) => {
  const { dir, cache } = folderAndCache(t);
  const own = join(dir, INFERENCE_ONNX_PATH);
  // ir_version 8, producer_name "optimum": a file another exporter wrote.
  const foreign = Buffer.from([0x08, 0x08, 0x12, 0x07, ...Buffer.from('optimum'), 0x3a, 0x00]);
  writeOwn(own, foreign);
  assert.deepEqual(readProducer(own), { name: 'optimum', version: '' });
  assert.equal(ensureInferenceOnnx(dir, cache), own);
  assert.ok(readFileSync(own).equals(foreign));

  const old = Buffer.from(untaggedGraph());
  writeFileSync(own, old);
  rmSync(join(dir, 'model.safetensors'));
  assert.equal(ensureInferenceOnnx(dir, cache), own, 'an ONNX-only folder keeps its graph');
  assert.ok(readFileSync(own).equals(old));
  assert.deepEqual(readdirSync(cache), []);
});

test('a read-only base loads, stays byte-identical, and the second load reuses the cache', async (t) => {
  const { dir, cache } = folderAndCache(t);
  const before = snapshot(dir);
  chmodSync(dir, 0o555);
  for (const round of [1, 2]) {
    const model = await loadInferenceModel(dir, { threads: 1 }, cache);
    await model.dispose();
    assert.deepEqual(snapshot(dir), before, `load ${round} wrote into the folder`);
    assert.equal(readdirSync(cache).length, 1, `load ${round}: one cache entry`);
  }
});

test('a file that is not ONNX has no producer', (t) => {
  const { dir } = folderAndCache(t);
  const file = join(dir, 'junk.onnx');
  writeFileSync(file, 'not a model at all, just text');
  assert.equal(readProducer(file), undefined);
});

/** Puts a graph at the folder's own onnx/model.onnx, as another tool or an older version would have. */
function writeOwn(file: string, bytes: Uint8Array): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, bytes);
}
