/**
 * The bundled base model's fixed shape and its pretraining recipe. The shape is a small
 * Llama (6.4M parameters, GQA 8/4 heads, tied embeddings) sized so that pretraining fits in
 * about two hours on two CPU cores with the ONNX Runtime training engine.
 */
import { SPECIAL_TOKENS } from '../modelfmt/chat-template.js';

export const BASE_MODEL_CONFIG = {
  architectures: ['LlamaForCausalLM'],
  model_type: 'llama',
  vocab_size: 8192,
  hidden_size: 256,
  intermediate_size: 688,
  num_hidden_layers: 6,
  num_attention_heads: 8,
  num_key_value_heads: 4,
  max_position_embeddings: 1024,
  rope_theta: 10000,
  rms_norm_eps: 1e-5,
  tie_word_embeddings: true,
  hidden_act: 'silu',
  attention_bias: false,
  mlp_bias: false,
  initializer_range: 0.02,
  bos_token_id: 0,
  eos_token_id: 2,
  pad_token_id: 3,
};

/** Stops at <|im_end|> (end of a turn) or <|endoftext|> (end of a document). */
export const BASE_GENERATION_CONFIG = {
  bos_token_id: 0,
  eos_token_id: [2, 0],
  pad_token_id: 3,
  do_sample: true,
  temperature: 0.8,
  top_p: 0.95,
  max_new_tokens: 200,
};

export const BASE_SPECIAL = { endOfText: SPECIAL_TOKENS.endOfText, pad: SPECIAL_TOKENS.pad };

export interface PretrainRecipe {
  seqLen: number;
  batchSize: number;
  /**
   * Optimizer steps. 5,200 × 4,096 tokens ≈ 21.3M tokens (~2.9 epochs of the 7.4M-token
   * corpus): ~1.65 h of steps at the 3,580 tokens/s (median) measured for this shape on a
   * quiet 2-core machine, plus ~5 min of held-out evaluations (12 s each) and checkpoints.
   * On a busier machine use --hours 2 instead.
   */
  steps: number;
  learningRate: number;
  warmupRatio: number;
  weightDecay: number;
  gradClip: number;
  evalEvery: number;
  seed: number;
}

export const DEFAULT_RECIPE: PretrainRecipe = {
  seqLen: 256,
  batchSize: 16,
  steps: 5200,
  learningRate: 2e-3,
  warmupRatio: 0.02,
  weightDecay: 0.1,
  gradClip: 1,
  evalEvery: 250,
  seed: 1234,
};
