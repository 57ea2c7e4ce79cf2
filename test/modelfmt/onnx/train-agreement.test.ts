/**
 * Training and inference agree: the exported inference graph gives the same logits as the
 * trainer's own forward graph (src/training) on the same weights, so what was validated
 * during training is what the bots serve.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { exportInferenceOnnx } from '../../../src/modelfmt/onnx/onnx-export.ts';
import { DecoderSession } from '../../../src/inference/ort.ts';
import { forwardLogits } from '../../../src/training/step-model.ts';
import { randomWeights, tinyConfig } from './tiny-model.ts';

const IDS = [3, 141, 59, 26, 5, 35, 89, 79];

for (const tied of [true, false]) {
  test(`exported logits equal the training forward pass (${tied ? 'tied' : 'untied'})`, async () => {
    const config = tinyConfig({ tie_word_embeddings: tied, num_key_value_heads: 2 });
    const weights = randomWeights(config, 5);
    const training = await forwardLogits(config, weights, BigInt64Array.from(IDS, BigInt), 1, IDS.length);
    const shape = { layers: config.num_hidden_layers, kvHeads: config.num_key_value_heads, headDim: config.head_dim, vocabSize: config.vocab_size };
    const session = await DecoderSession.load(exportInferenceOnnx(config, weights), shape, { threads: 1 });
    const inference = await session.scoreAll(IDS);
    await session.release();
    assert.equal(inference.length, training.length);
    let max = 0;
    for (let i = 0; i < training.length; i++) max = Math.max(max, Math.abs(training[i] - inference[i]));
    assert.ok(max < 1e-4, `max |Δ logits| = ${max}`);
  });
}
