/**
 * The model shapes the benchmarks measure (config.json fields as on the Hub, random weights):
 * the bundled base, SmolLM2-135M, and the real bases of issue 15 and 16. One place, so that
 * bench:train, bench:generate and bench:persona-train measure the same shapes.
 */
export { BASE_MODEL_CONFIG as BUNDLED_BASE } from '../../src/pretrain/base-model.js';

export const SMOLLM2_135M = {
  model_type: 'llama',
  architectures: ['LlamaForCausalLM'],
  vocab_size: 49152,
  hidden_size: 576,
  intermediate_size: 1536,
  num_hidden_layers: 30,
  num_attention_heads: 9,
  num_key_value_heads: 3,
  max_position_embeddings: 2048,
  rope_theta: 100000,
  rms_norm_eps: 1e-5,
  tie_word_embeddings: true,
};

/** Qwen2.5-0.5B: q/k/v biases, 2 KV heads, a 151,936-token vocabulary. */
export const QWEN25_05B = {
  model_type: 'qwen2',
  architectures: ['Qwen2ForCausalLM'],
  vocab_size: 151936,
  hidden_size: 896,
  intermediate_size: 4864,
  num_hidden_layers: 24,
  num_attention_heads: 14,
  num_key_value_heads: 2,
  max_position_embeddings: 32768,
  rope_theta: 1000000,
  rms_norm_eps: 1e-6,
  tie_word_embeddings: true,
  use_sliding_window: false,
};

export const LLAMA32_1B = {
  model_type: 'llama',
  vocab_size: 128256,
  hidden_size: 2048,
  intermediate_size: 8192,
  num_hidden_layers: 16,
  num_attention_heads: 32,
  num_key_value_heads: 8,
  max_position_embeddings: 131072,
  rope_theta: 500000,
  rms_norm_eps: 1e-5,
  tie_word_embeddings: true,
};

export const GEMMA3_270M = {
  model_type: 'gemma3_text',
  vocab_size: 262144,
  hidden_size: 640,
  intermediate_size: 2048,
  num_hidden_layers: 18,
  num_attention_heads: 4,
  num_key_value_heads: 1,
  head_dim: 256,
  max_position_embeddings: 32768,
  rope_theta: 1000000,
  rope_local_base_freq: 10000,
  query_pre_attn_scalar: 256,
  sliding_window: 512,
  hidden_activation: 'gelu_pytorch_tanh',
  rms_norm_eps: 1e-6,
  tie_word_embeddings: true,
};
