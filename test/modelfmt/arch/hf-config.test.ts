/**
 * config.json of every supported family parses with HF's defaults; anything we cannot
 * compute is refused with a PersonaError naming the file and the field.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isPersonaError } from '../../../src/errors.ts';
import { modelSpec } from '../../../src/modelfmt/arch/spec.ts';
import { parseLlamaConfig, SUPPORTED_MODEL_TYPES } from '../../../src/modelfmt/hf-config.ts';

const SHAPE = { vocab_size: 300, hidden_size: 32, intermediate_size: 48, num_hidden_layers: 6, num_attention_heads: 4, num_key_value_heads: 2 };

test('the supported model types are the five families', () => {
  assert.deepEqual([...SUPPORTED_MODEL_TYPES], ['llama', 'mistral', 'qwen2', 'qwen3', 'gemma3_text']);
});

test("a family's omitted fields get its config class defaults", () => {
  const gemma = modelSpec(parseLlamaConfig({ ...SHAPE, model_type: 'gemma3_text' }));
  assert.equal(gemma.headDim, 256);
  assert.equal(gemma.config.tie_word_embeddings, true);
  assert.deepEqual(
    gemma.layers.map((l) => l.window),
    [4096, 4096, 4096, 4096, 4096, undefined],
    'five sliding layers, then a full one',
  );
  assert.equal(gemma.attnScale, 1 / 16);
  assert.ok(
    gemma.parameterShapes.has('model.layers.0.pre_feedforward_layernorm.weight') && gemma.parameterShapes.has('model.layers.5.self_attn.k_norm.weight'),
  );
  const qwen2 = modelSpec(parseLlamaConfig({ ...SHAPE, model_type: 'qwen2' }));
  assert.ok(
    qwen2.layers.every((l) => l.window === undefined),
    'use_sliding_window defaults to false',
  );
  assert.deepEqual(qwen2.parameterShapes.get('model.layers.0.self_attn.k_proj.bias'), [16]);
  assert.equal(qwen2.parameterShapes.has('model.layers.0.self_attn.o_proj.bias'), false);
});

test("newer transformers' rope_parameters mean the same rotation as rope_theta / rope_scaling", () => {
  const old = modelSpec(
    parseLlamaConfig({
      ...SHAPE,
      rope_theta: 500000,
      rope_scaling: { rope_type: 'llama3', factor: 8, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 64 },
    }),
  );
  const v5 = modelSpec(
    parseLlamaConfig({
      ...SHAPE,
      rope_parameters: { rope_type: 'llama3', rope_theta: 500000, factor: 8, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 64 },
    }),
  );
  assert.deepEqual(v5.layers[0].rope.invFreq, old.layers[0].rope.invFreq);
  const gemma = modelSpec(
    parseLlamaConfig({
      ...SHAPE,
      model_type: 'gemma3_text',
      rope_parameters: { full_attention: { rope_type: 'default', rope_theta: 1000000 }, sliding_attention: { rope_type: 'default', rope_theta: 12345 } },
    }),
  );
  assert.equal(gemma.config.rope_local_base_freq, 12345);
  assert.equal(gemma.config.rope_theta, 1000000);
});

for (const [what, json, field] of [
  ['an unknown model_type', { ...SHAPE, model_type: 'phi3' }, 'model_type'],
  ['another activation', { ...SHAPE, hidden_act: 'gelu' }, 'hidden_act'],
  ['a Gemma activation other than GELU-tanh', { ...SHAPE, model_type: 'gemma3_text', hidden_activation: 'silu' }, 'hidden_activation'],
  ['yarn rope scaling', { ...SHAPE, rope_scaling: { rope_type: 'yarn', factor: 4 } }, 'rope_scaling'],
  ['rope scaling without a factor', { ...SHAPE, rope_scaling: { rope_type: 'linear' } }, 'rope_scaling.factor'],
  ['mlp_bias outside llama', { ...SHAPE, model_type: 'qwen2', mlp_bias: true }, 'mlp_bias'],
  ['layer_types of the wrong length', { ...SHAPE, model_type: 'gemma3_text', layer_types: ['full_attention'] }, 'layer_types'],
  ['heads not a multiple of kv heads', { ...SHAPE, num_key_value_heads: 3 }, 'num_key_value_heads'],
  ['bidirectional attention (EmbeddingGemma)', { ...SHAPE, model_type: 'gemma3_text', use_bidirectional_attention: true }, 'use_bidirectional_attention'],
  ['a non-numeric sliding_window', { ...SHAPE, model_type: 'mistral', sliding_window: 'wide' }, 'sliding_window'],
] as const) {
  test(`config.json with ${what} is refused naming "${field}"`, () => {
    assert.throws(
      () => parseLlamaConfig(json, '/models/x/config.json'),
      (e) => isPersonaError(e) && e.message.startsWith('/models/x/config.json') && e.message.includes(field),
    );
  });
}
