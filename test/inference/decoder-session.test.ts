/**
 * DecoderSession's own machinery: the thread plan (configured count, or all cores plus a
 * single-threaded session for small models), and the in-place KV cache — stepping an older
 * cache handle again (a branch) leaves the newer handle's rows intact.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { availableParallelism } from 'node:os';
import { DecoderSession, SINGLE_THREAD_MAX_WEIGHT_BYTES, threadPlan } from '../../src/inference/ort.ts';
import { exportInferenceOnnx } from '../../src/modelfmt/onnx/onnx-export.ts';
import { randomWeights, tinyConfig } from '../modelfmt/onnx/tiny-model.ts';
import { OnnxGraphBuilder } from '../../src/modelfmt/onnx/onnx-builder.ts';
import { GraphRunner } from '../../src/training/runtime.ts';
import { claimedCores } from '../../src/util/cpu-claims.ts';

test('thread plan: a configured count wins; otherwise small models also get a single-threaded session', () => {
  assert.deepEqual(threadPlan(3, 1000), { threads: 3, alsoSingle: false });
  assert.deepEqual(threadPlan(0, SINGLE_THREAD_MAX_WEIGHT_BYTES), { threads: 0, alsoSingle: false });
  assert.deepEqual(threadPlan(0, 1000), { threads: 0, alsoSingle: availableParallelism() > 1 });
});

test('stepping an older cache handle again does not disturb the newer one', async () => {
  const config = tinyConfig();
  const shape = { layers: config.num_hidden_layers, kvHeads: config.num_key_value_heads, headDim: config.head_dim, vocabSize: config.vocab_size };
  const session = await DecoderSession.load(exportInferenceOnnx(config, randomWeights(config, 5)), shape, { threads: 0 });
  assert.equal(session.sessionCount, availableParallelism() > 1 ? 2 : 1);
  const prefix = await session.step([5, 17, 200], session.empty);
  const a = await session.step([3], prefix.cache);
  const b = await session.step([99], prefix.cache); // a branch from the same prefix
  const a2 = await session.step([7], a.cache);
  const scored = async (ids: number[]) => (await session.scoreAll(ids)).slice(-config.vocab_size);
  const close = (x: Float32Array, y: Float32Array) => x.every((v, i) => Math.abs(v - y[i]) < 1e-5);
  assert.ok(close(b.logits, await scored([5, 17, 200, 99])));
  assert.ok(close(a2.logits, await scored([5, 17, 200, 3, 7])));
  // Enough one-token steps to outgrow the cache's spare rows.
  let { logits, cache } = a2;
  const ids = [5, 17, 200, 3, 7];
  for (let i = 0; i < 70; i++) {
    ids.push(10 + i);
    ({ logits, cache } = await session.step([10 + i], cache));
  }
  assert.equal(cache.length, ids.length);
  assert.ok(close(logits, await scored(ids)));
  await session.release();
});

test('while a training session in this process is open, a small model steps on its single-threaded session', async (t) => {
  if (availableParallelism() < 2) return t.skip('one core: there is no single-threaded session');
  const config = tinyConfig();
  const shape = { layers: config.num_hidden_layers, kvHeads: config.num_key_value_heads, headDim: config.head_dim, vocabSize: config.vocab_size };
  const session = await DecoderSession.load(exportInferenceOnnx(config, randomWeights(config, 5)), shape, { threads: 0 });
  const b = new OnnxGraphBuilder('training_stand_in');
  b.input('x', 'float32', [1]);
  b.op('Neg', ['x'], {}, 'y');
  b.output('y', 'float32', [1]);
  const training = await GraphRunner.create(b.toBytes(), { threads: 2 });
  assert.equal(claimedCores(), 2);
  await session.step([5, 17, 200], session.empty);
  assert.deepEqual(session.stepsOn, { parallel: 0, single: 1 });
  await training.release();
  assert.equal(claimedCores(), 0);
  await session.release();
});
