/**
 * The bundled base keeps its exact behaviour across exporter changes: its greedy
 * continuation of a fixed prompt is pinned to the tokens the exporter wrote before the one
 * model definition (format 2; checked logit-for-logit, max |Δ| 0, when format 3 came in),
 * and the training forward gives the same logits as the export.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DecoderSession } from '../../../src/inference/ort.ts';
import { readLlamaConfig } from '../../../src/modelfmt/hf-config.ts';
import { exportInferenceOnnx } from '../../../src/modelfmt/onnx/onnx-export.ts';
import { readLlamaWeights } from '../../../src/modelfmt/folder-weights.ts';
import { forwardLogits } from '../../../src/training/step-model.ts';

const PROMPT = [0, 100, 200, 300, 400, 500, 17, 42];
const PINNED = [952, 513, 38, 317, 67, 2, 14, 1, 381, 14, 373, 261];

test('the bundled base continues a fixed prompt with the pinned greedy tokens, and training agrees with the export', async () => {
  const config = readLlamaConfig('models/base');
  const weights = readLlamaWeights('models/base', config);
  const shape = { layers: config.num_hidden_layers, kvHeads: config.num_key_value_heads, headDim: config.head_dim, vocabSize: config.vocab_size };
  const session = await DecoderSession.load(exportInferenceOnnx(config, weights), shape, { threads: 1 });
  try {
    let { logits, cache } = await session.step(PROMPT, session.empty);
    const tokens: number[] = [];
    while (tokens.length < PINNED.length) {
      const best = logits.reduce((b, v, i) => (v > logits[b] ? i : b), 0);
      tokens.push(best);
      ({ logits, cache } = await session.step([best], cache));
    }
    assert.deepEqual(tokens, PINNED);
    const exported = await session.scoreAll(PROMPT);
    const training = await forwardLogits(config, weights, BigInt64Array.from(PROMPT, BigInt), 1, PROMPT.length);
    const max = exported.reduce((m, v, i) => Math.max(m, Math.abs(v - training[i])), 0);
    assert.ok(max < 1e-4, `training vs export: max |Δ logits| ${max}`);
  } finally {
    await session.release();
  }
});
