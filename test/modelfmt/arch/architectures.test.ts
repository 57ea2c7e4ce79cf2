/**
 * Every supported family, from a tiny random config with HF's exact keys and tensor names:
 * the training forward (src/training), the exported ONNX graph (with and without the KV
 * cache) and an independent plain-loop reference of HF's modeling code agree to 1e-4.
 * Sliding windows (4) are shorter than the sequence (12), norm weights are not ones.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DecoderSession, type KvCache } from '../../../src/inference/ort.ts';
import { exportInferenceOnnx } from '../../../src/modelfmt/onnx/onnx-export.ts';
import { forwardLogits } from '../../../src/training/step-model.ts';
import { TINY_ARCHITECTURES, type TinyArchitecture } from '../../fixtures/tiny-model-folder.ts';
import { randomWeights, tinyConfig } from '../onnx/tiny-model.ts';
import { hfReferenceLogits } from './hf-reference.ts';

const IDS = [5, 17, 200, 3, 99, 42, 7, 250, 3, 18, 77, 140];

function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  let max = 0;
  let scale = 0;
  for (let i = 0; i < expected.length; i++) {
    max = Math.max(max, Math.abs(actual[i] - expected[i]));
    scale = Math.max(scale, Math.abs(expected[i]));
  }
  assert.ok(scale > 0.5, `${what}: reference logits too small to be telling (${scale})`);
  assert.ok(max < 1e-4 * Math.max(1, scale), `${what}: max |Δ| ${max} (logit scale ${scale})`);
}

for (const arch of Object.keys(TINY_ARCHITECTURES) as TinyArchitecture[]) {
  test(`${arch}: training forward, ONNX export (with and without KV cache) and the HF reference agree`, async () => {
    const config = tinyConfig(TINY_ARCHITECTURES[arch]);
    const weights = randomWeights(config, 9, 0.3);
    const reference = hfReferenceLogits(config, weights, IDS);

    // Training graphs are built for at most max_position_embeddings positions.
    const trainIds = IDS.slice(0, Math.min(IDS.length, config.max_position_embeddings));
    const training = await forwardLogits(config, weights, BigInt64Array.from(trainIds, BigInt), 1, trainIds.length);
    assertClose(
      training,
      hfReferenceLogits(config, weights, trainIds).flatMap((r) => [...r]),
      'training forward',
    );

    const shape = { layers: config.num_hidden_layers, kvHeads: config.num_key_value_heads, headDim: config.head_dim, vocabSize: config.vocab_size };
    const session = await DecoderSession.load(exportInferenceOnnx(config, weights), shape, { threads: 1 });
    try {
      assertClose(
        await session.scoreAll(IDS),
        reference.flatMap((r) => [...r]),
        'ONNX, whole sequence',
      );
      // Through the cache in chunks. Dynamic NTK rotates each step's keys with that step's
      // frequencies (as HF's cache does), so its cached run is checked within max_position_embeddings.
      const ids = arch === 'llama-dynamic' ? trainIds : IDS;
      const expected = arch === 'llama-dynamic' ? hfReferenceLogits(config, weights, ids) : reference;
      let cache: KvCache = session.empty;
      let last: Float32Array = new Float32Array();
      for (const chunk of [ids.slice(0, 5), [ids[5]], ids.slice(6)]) ({ logits: last, cache } = await session.step(chunk, cache));
      assertClose(last, expected[ids.length - 1], 'ONNX through the KV cache');
    } finally {
      await session.release();
    }
  });
}

for (const arch of ['qwen2', 'qwen3', 'gemma3_text'] as const) {
  test(`${arch}: int8 weights (biases and norms kept float) stay close to the float export`, async () => {
    const config = tinyConfig({ ...TINY_ARCHITECTURES[arch], hidden_size: 64, intermediate_size: 128 });
    const weights = randomWeights(config, 4, 0.1);
    const shape = { layers: config.num_hidden_layers, kvHeads: config.num_key_value_heads, headDim: config.head_dim, vocabSize: config.vocab_size };
    const scores = async (quantize?: 'int8') => {
      const session = await DecoderSession.load(exportInferenceOnnx(config, weights, { quantize }), shape, { threads: 1 });
      const logits = await session.scoreAll(IDS);
      await session.release();
      return logits;
    };
    const [fp32, int8] = [await scores(), await scores('int8')];
    const spread = Math.max(...fp32) - Math.min(...fp32);
    const max = fp32.reduce((m, v, i) => Math.max(m, Math.abs(v - int8[i])), 0);
    assert.ok(max < 0.05 * spread, `max |Δ| ${max} vs logit range ${spread}`);
  });
}
