/**
 * Serving re-exports an onnx/model.onnx that an older version of our exporter wrote (so an
 * upgrade brings the faster graph to existing model folders), keeps int8 files int8, and
 * never touches files other tools wrote or folders without weights to re-export from.
 */
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { OnnxGraphBuilder } from '../../../src/onnx/builder.ts';
import { ensureInferenceOnnx, INFERENCE_ONNX_PATH, readProducer } from '../../../src/modelfmt/onnx/folder.ts';
import { inferenceGraphFormat } from '../../../src/modelfmt/onnx/llama-graph.ts';
import { writeTinyModelFolder } from '../../fixtures/tiny-model-folder.ts';

/** A graph as the exporter wrote it before format tags: our producer name, no version. */
function untaggedGraph(extraOp?: string): Uint8Array {
  const b = new OnnxGraphBuilder('old_export');
  b.input('x', 'float32', [1]);
  b.op(extraOp ?? 'Identity', extraOp ? ['x', 'x'] : ['x'], {}, 'y');
  b.output('y', 'float32', [1]);
  return b.toBytes();
}

test('an untagged file of ours is re-exported with the current format; a current one is left alone', (t) => {
  const { dir } = writeTinyModelFolder({ onnx: false });
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const target = ensureInferenceOnnx(dir);
  assert.deepEqual(readProducer(target), { name: 'persona-builder', version: inferenceGraphFormat({}) });

  writeFileSync(target, untaggedGraph());
  assert.equal(readProducer(target)?.version, '');
  ensureInferenceOnnx(dir);
  assert.equal(readProducer(target)?.version, inferenceGraphFormat({}));
  const current = readFileSync(target);
  ensureInferenceOnnx(dir);
  assert.ok(readFileSync(target).equals(current), 'a current export is not rewritten');
});

test('an old int8 export comes back int8', (t) => {
  const { dir } = writeTinyModelFolder({ onnx: false });
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const target = join(dir, INFERENCE_ONNX_PATH);
  ensureInferenceOnnx(dir);
  writeFileSync(target, untaggedGraph('MatMulInteger'));
  ensureInferenceOnnx(dir);
  assert.equal(readProducer(target)?.version, inferenceGraphFormat({ quantize: 'int8' }));
  assert.ok(readFileSync(target).includes('MatMulInteger'));
});

test("other tools' files and folders without weights are kept byte for byte", (t) => {
  const { dir } = writeTinyModelFolder({ onnx: false });
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const target = ensureInferenceOnnx(dir);
  // ir_version 8, producer_name "optimum": a file another exporter wrote.
  const foreign = Buffer.from([0x08, 0x08, 0x12, 0x07, ...Buffer.from('optimum'), 0x3a, 0x00]);
  writeFileSync(target, foreign);
  assert.deepEqual(readProducer(target), { name: 'optimum', version: '' });
  ensureInferenceOnnx(dir);
  assert.ok(readFileSync(target).equals(foreign));

  const old = Buffer.from(untaggedGraph());
  writeFileSync(target, old);
  rmSync(join(dir, 'model.safetensors'));
  ensureInferenceOnnx(dir);
  assert.ok(readFileSync(target).equals(old), 'an ONNX-only folder keeps its graph');
});

test('a file that is not ONNX has no producer', (t) => {
  const { dir } = writeTinyModelFolder({ onnx: false });
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'junk.onnx');
  writeFileSync(file, 'not a model at all, just text');
  assert.equal(readProducer(file), undefined);
});
