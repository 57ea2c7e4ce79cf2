/**
 * Frozen base weights held in float16 (LoRA): the step model fed float16 matrices trains
 * exactly like one fed float32 matrices holding the same (float16-rounded) values — the
 * widening Casts are exact — and within 1e-3 of the unrounded float32 run; the backward's
 * reads of a weight get their own Cast (their own aliased input), and a float32 array
 * where float16 bits are expected fails naming the parameter.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseLlamaConfig } from '../../src/modelfmt/hf-config.ts';
import { float16ToFloat32, float32ToFloat16 } from '../../src/modelfmt/half.ts';
import { narrowedNames, narrowInPlace, widenInPlace, type FrozenParams } from '../../src/training/frozen-weights.ts';
import { emitOnnx } from '../../src/training/graph/emit.ts';
import { createStepModel, buildTrainIR, initLlamaParams, initLoraParams, type Params, type TokenBatch } from '../../src/training/step-model.ts';
import { llamaParameterShapes } from '../../src/modelfmt/hf-config.ts';

const config = parseLlamaConfig({
  vocab_size: 40,
  hidden_size: 32,
  intermediate_size: 64,
  num_hidden_layers: 2,
  num_attention_heads: 4,
  num_key_value_heads: 2,
  tie_word_embeddings: true,
  max_position_embeddings: 64,
});
const lora = { r: 4, alpha: 8, dropout: 0, targetModules: ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'] };
const SEQ = 16;

function batch(): TokenBatch {
  const ids = BigInt64Array.from({ length: 2 * SEQ }, (_, i) => BigInt((i * 7 + 3) % 40));
  return { inputIds: ids, labels: ids, batchSize: 2, seqLen: SEQ };
}

/** Five SGD steps on fresh adapters; the losses of each step and a final evaluation. */
async function lossCurve(frozen: FrozenParams, frozenDtype: 'float32' | 'float16'): Promise<number[]> {
  const model = await createStepModel(config, { method: 'lora', lora, batchSize: 2, seqLen: SEQ, threads: 1, lossChunkRows: 8, frozenDtype });
  const adapters: Params = initLoraParams(config, lora, 5);
  const losses: number[] = [];
  for (let i = 0; i < 5; i++) {
    const { loss, grads } = await model.step(batch(), frozen, adapters);
    losses.push(loss);
    for (const [name, p] of adapters) {
      const g = grads.get(name)!;
      for (let j = 0; j < p.length; j++) p[j] -= 0.5 * g[j];
    }
  }
  losses.push((await model.evalLoss(batch(), frozen, adapters)).loss);
  await model.dispose();
  return losses;
}

test('float16 frozen weights train like their float32 values (exactly) and the unrounded base (1e-3)', async () => {
  const base = initLlamaParams(config, 3);
  const names = narrowedNames(llamaParameterShapes(config), 'float16');
  assert.ok(names.has('model.layers.0.mlp.up_proj.weight') && !names.has('model.norm.weight'), 'matrices narrowed, norm vectors not');
  assert.ok(!names.has('model.embed_tokens.weight'), 'the tied lm_head stays float32');
  const rounded: Params = new Map([...base].map(([k, v]) => [k, names.has(k) ? float16ToFloat32(float32ToFloat16(v)) : v]));
  const half = narrowInPlace(new Map(base), names);
  const [unrounded, reference, narrow] = [await lossCurve(base, 'float32'), await lossCurve(rounded, 'float32'), await lossCurve(half, 'float16')];
  assert.ok(unrounded[4] < unrounded[0] - 0.01, `the adapters learn: ${unrounded}`);
  narrow.forEach((loss, i) => {
    assert.ok(Math.abs(loss - reference[i]) < 1e-5, `step ${i}: float16 ${loss} vs rounded float32 ${reference[i]}`);
    assert.ok(Math.abs(loss - unrounded[i]) < 1e-3, `step ${i}: float16 ${loss} vs float32 ${unrounded[i]}`);
  });
  assert.deepEqual(widenInPlace(half).get('model.layers.0.mlp.up_proj.weight'), rounded.get('model.layers.0.mlp.up_proj.weight'));
});

test("a weight's forward and backward reads are widened by separate Casts of aliased inputs", () => {
  const { graph, outputs } = buildTrainIR(config, { method: 'lora', lora, batchSize: 2, seqLen: SEQ, dropout: false, lossChunkRows: 8 });
  const emitted = emitOnnx(graph, outputs, { narrowInputs: narrowedNames(llamaParameterShapes(config), 'float16') });
  // q/k/v/o keep W for the backward (dx = dy·W).
  assert.equal(emitted.aliases.get('model.layers.1.self_attn.q_proj.weight::2'), 'model.layers.1.self_attn.q_proj.weight');
  assert.equal(emitted.aliases.get('model.embed_tokens.weight::2'), undefined, 'the tied embedding is fed float32, no Cast');
});

test('a float32 array where float16 bits are expected fails naming the parameter', async () => {
  const model = await createStepModel(config, { method: 'lora', lora, batchSize: 2, seqLen: SEQ, threads: 1, frozenDtype: 'float16' });
  await assert.rejects(
    model.step(batch(), initLlamaParams(config, 3), initLoraParams(config, lora, 5)),
    /frozen parameter "model.layers.0.self_attn.q_proj.weight" must be float16 bits/,
  );
  await model.dispose();
});
