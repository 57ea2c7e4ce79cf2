/**
 * Exported graphs need only Optimum's inputs: a plain ONNX Runtime runner that feeds
 * input_ids, attention_mask, position_ids and past_key_values.* (and knows nothing of
 * num_logits_to_keep) loads the same bytes our generator loads and gets the same logits,
 * with and without a cache; our generator still computes only the last position's logits.
 * (transformers.js on the same files: transformers-js.test.ts.)
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import ort from 'onnxruntime-node';
import { DecoderSession } from '../../../src/inference/ort.ts';
import { exportInferenceOnnx } from '../../../src/modelfmt/onnx/onnx-export.ts';
import { withLogitsToKeepInput } from '../../../src/modelfmt/onnx/logits-to-keep.ts';
import { TINY_ARCHITECTURES } from '../../fixtures/tiny-model-folder.ts';
import { randomWeights, tinyConfig } from './tiny-model.ts';

const IDS = [5, 17, 200, 3, 99, 42, 7];

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}

for (const [name, family] of [
  ['llama', {}],
  ['qwen2', TINY_ARCHITECTURES.qwen2],
] as const) {
  test(`${name}: a runner feeding only Optimum's inputs gets the logits our generator gets`, async () => {
    const config = tinyConfig(family);
    const bytes = exportInferenceOnnx(config, randomWeights(config, 4));
    const { num_hidden_layers: L, num_key_value_heads: KV, head_dim: hd, vocab_size: V } = config;
    const plain = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1 });
    const pastNames = Array.from({ length: L }, (_, i) => [`past_key_values.${i}.key`, `past_key_values.${i}.value`]).flat();
    assert.deepEqual([...plain.inputNames].sort(), ['attention_mask', 'input_ids', 'position_ids', ...pastNames].sort());

    const ids = (xs: number[]) => new ort.Tensor('int64', BigInt64Array.from(xs, BigInt), [1, xs.length]);
    const run = (tokens: number[], past: number, cache: Record<string, ort.Tensor>) =>
      plain.run({
        ...cache,
        input_ids: ids(tokens),
        attention_mask: ids(Array(past + tokens.length).fill(1)),
        position_ids: ids(tokens.map((_, i) => past + i)),
      });
    const empty = Object.fromEntries(pastNames.map((n) => [n, new ort.Tensor('float32', new Float32Array(0), [1, KV, 0, hd])]));
    const whole = await run(IDS, 0, empty);
    assert.deepEqual(whole.logits.dims, [1, IDS.length, V], 'every position by default');
    // Through the cache: the first 4 tokens, then the rest on their present.* tensors.
    const first = await run(IDS.slice(0, 4), 0, empty);
    const carried = Object.fromEntries(pastNames.map((n) => [n, first[n.replace('past_key_values', 'present')]]));
    const rest = await run(IDS.slice(4), 4, carried);

    const ours = await DecoderSession.load(bytes, { layers: L, kvHeads: KV, headDim: hd, vocabSize: V }, { threads: 1 });
    try {
      assert.ok(maxAbsDiff(await ours.scoreAll(IDS), whole.logits.data as Float32Array) < 1e-5);
      const step1 = await ours.step(IDS.slice(0, 4), ours.empty);
      assert.equal(step1.logits.length, V, 'our generator keeps the last position only');
      const step2 = await ours.step(IDS.slice(4), step1.cache);
      const restLogits = rest.logits.data as Float32Array;
      assert.ok(maxAbsDiff(step2.logits, restLogits.subarray(restLogits.length - V)) < 1e-5);
    } finally {
      await ours.release();
      await plain.release();
    }
  });
}

test("our generator's copy of the graph takes num_logits_to_keep; other graphs load unchanged", async () => {
  assert.equal(withLogitsToKeepInput(new Uint8Array([0x08, 0x08])), undefined);
  const config = tinyConfig({ num_hidden_layers: 1 });
  const patched = withLogitsToKeepInput(exportInferenceOnnx(config, randomWeights(config, 1)));
  assert.ok(patched && withLogitsToKeepInput(patched) === undefined, 'the patched graph holds no such initializer any more');
  const session = await ort.InferenceSession.create(patched, { intraOpNumThreads: 1 });
  assert.ok(session.inputNames.includes('num_logits_to_keep'));
  const ids = new ort.Tensor('int64', BigInt64Array.of(1n, 2n, 3n), [1, 3]);
  const empty = new ort.Tensor('float32', new Float32Array(0), [1, config.num_key_value_heads, 0, config.head_dim]);
  const out = await session.run({
    input_ids: ids,
    attention_mask: new ort.Tensor('int64', BigInt64Array.of(1n, 1n, 1n), [1, 3]),
    position_ids: new ort.Tensor('int64', BigInt64Array.of(0n, 1n, 2n), [1, 3]),
    'past_key_values.0.key': empty,
    'past_key_values.0.value': empty,
    num_logits_to_keep: new ort.Tensor('int64', BigInt64Array.of(1n), []),
  });
  assert.deepEqual(out.logits.dims, [1, 1, config.vocab_size], 'prefill computes the last position only');
  await session.release();
});
