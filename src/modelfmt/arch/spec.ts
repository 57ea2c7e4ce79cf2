/**
 * What each supported family computes, derived once from config.json: the one place where
 * Llama, Mistral, Qwen2, Qwen3 and Gemma 3 differ. Both graph backends (the training IR in
 * src/training/llama.ts and the ONNX inference graph in src/modelfmt/onnx/llama-graph.ts)
 * run the same forward (./decoder.ts) and read every family difference from this spec:
 * norm style, biases, q/k norms, rotary tables and sliding windows per layer, activation,
 * embedding scale, attention scale, soft-capping and the HF tensor names and shapes.
 * Sources: transformers' modeling_{llama,mistral,qwen2,qwen3,gemma3}.py and their configs.
 */
import type { LlamaConfig, ModelType } from '../hf-config.js';
import { ropeSpec, type RopeSpec } from './rope-frequencies.js';

/** An HF Linear: weight [out, in] and, when the family has one, its bias [out]. */
export interface LinearSpec {
  weight: string;
  bias?: string;
  out: number;
  in: number;
}

export interface LayerSpec {
  index: number;
  q: LinearSpec;
  k: LinearSpec;
  v: LinearSpec;
  o: LinearSpec;
  gate: LinearSpec;
  up: LinearSpec;
  down: LinearSpec;
  /** Before attention. */
  inputNorm: string;
  /**
   * Llama-style: before the MLP. Gemma 3 (sandwich norms): on the attention output before
   * the residual add, and the MLP gets its own pre/post norms.
   */
  postAttentionNorm: string;
  preFeedforwardNorm?: string;
  postFeedforwardNorm?: string;
  /** Per-head RMSNorm of q and k before RoPE (Qwen3, Gemma 3), weights [head_dim]. */
  qNorm?: string;
  kNorm?: string;
  rope: RopeSpec;
  /** HF sliding_window_overlay: a query at position q sees keys k with q − window < k ≤ q. */
  window?: number;
}

export interface ModelSpec {
  family: ModelType;
  config: LlamaConfig;
  hidden: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  vocab: number;
  eps: number;
  /** RMSNorm multiplies by (offset + w): 1 for Gemma's x·(1 + w), else 0. */
  normOffset: 0 | 1;
  sandwichNorms: boolean;
  activation: 'silu' | 'gelu_tanh';
  /** Token embeddings are multiplied by this (Gemma: √hidden_size). */
  embedScale: number;
  /** Attention scores are q·k times this (1/√head_dim, Gemma: query_pre_attn_scalar^−½). */
  attnScale: number;
  /** c·tanh(x / c) on attention scores / final logits when configured. */
  attnSoftcap?: number;
  finalSoftcap?: number;
  embedding: string;
  finalNorm: string;
  /** lm_head weight [vocab, hidden]: the embedding when tied. */
  lmHead: string;
  layers: LayerSpec[];
  /** Every parameter a checkpoint must hold, HF names and shapes. */
  parameterShapes: Map<string, number[]>;
}

/** Linear modules LoRA may target, named as PEFT's target_modules (the same in every family here). */
export const LORA_MODULES = ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'] as const;

const cache = new WeakMap<LlamaConfig, ModelSpec>();

export function modelSpec(config: LlamaConfig): ModelSpec {
  let spec = cache.get(config);
  if (!spec) cache.set(config, (spec = buildSpec(config)));
  return spec;
}

/** Per layer: sliding or full attention, as each family's config class derives layer_types. */
function slidingLayers(c: LlamaConfig): boolean[] {
  const n = c.num_hidden_layers;
  if (c.layer_types) return c.layer_types.map((t) => t === 'sliding_attention');
  if (c.model_type === 'mistral') return Array(n).fill(c.sliding_window != null);
  if (c.model_type === 'qwen2' || c.model_type === 'qwen3') {
    return Array.from({ length: n }, (_, i) => Boolean(c.use_sliding_window) && c.sliding_window != null && i >= (c.max_window_layers ?? 0));
  }
  if (c.model_type === 'gemma3_text') return Array.from({ length: n }, (_, i) => (i + 1) % (c.sliding_window_pattern ?? 6) !== 0);
  return Array(n).fill(false);
}

function buildSpec(c: LlamaConfig): ModelSpec {
  const family = c.model_type;
  const gemma = family === 'gemma3_text';
  const { hidden_size: d, intermediate_size: f, num_attention_heads: H, num_key_value_heads: KV, head_dim: hd } = c;
  const attnBias = family === 'qwen2' ? 'qkv' : family !== 'mistral' && c.attention_bias ? 'qkvo' : '';
  const mlpBias = family === 'llama' && c.mlp_bias;
  const qkNorm = family === 'qwen3' || gemma;
  const sliding = slidingLayers(c);
  const globalRope = ropeSpec(c, c.rope_theta, c.rope_scaling);
  // Gemma 3's sliding layers rotate with their own base and no scaling.
  const localRope = gemma ? ropeSpec(c, c.rope_local_base_freq ?? 10_000, null) : globalRope;
  const linear = (weight: string, out: number, inp: number, bias: boolean): LinearSpec => ({
    weight: `${weight}.weight`,
    bias: bias ? `${weight}.bias` : undefined,
    out,
    in: inp,
  });

  const layers: LayerSpec[] = [];
  for (let i = 0; i < c.num_hidden_layers; i++) {
    const p = `model.layers.${i}`;
    layers.push({
      index: i,
      q: linear(`${p}.self_attn.q_proj`, H * hd, d, attnBias.includes('q')),
      k: linear(`${p}.self_attn.k_proj`, KV * hd, d, attnBias.includes('k')),
      v: linear(`${p}.self_attn.v_proj`, KV * hd, d, attnBias.includes('v')),
      o: linear(`${p}.self_attn.o_proj`, d, H * hd, attnBias.includes('o')),
      gate: linear(`${p}.mlp.gate_proj`, f, d, mlpBias),
      up: linear(`${p}.mlp.up_proj`, f, d, mlpBias),
      down: linear(`${p}.mlp.down_proj`, d, f, mlpBias),
      inputNorm: `${p}.input_layernorm.weight`,
      postAttentionNorm: `${p}.post_attention_layernorm.weight`,
      preFeedforwardNorm: gemma ? `${p}.pre_feedforward_layernorm.weight` : undefined,
      postFeedforwardNorm: gemma ? `${p}.post_feedforward_layernorm.weight` : undefined,
      qNorm: qkNorm ? `${p}.self_attn.q_norm.weight` : undefined,
      kNorm: qkNorm ? `${p}.self_attn.k_norm.weight` : undefined,
      rope: sliding[i] ? localRope : globalRope,
      window: sliding[i] ? (c.sliding_window ?? undefined) : undefined,
    });
  }

  const shapes = new Map<string, number[]>();
  shapes.set('model.embed_tokens.weight', [c.vocab_size, d]);
  for (const l of layers) {
    shapes.set(l.inputNorm, [d]);
    if (l.qNorm) shapes.set(l.qNorm, [hd]);
    if (l.kNorm) shapes.set(l.kNorm, [hd]);
    for (const lin of [l.q, l.k, l.v, l.o]) {
      shapes.set(lin.weight, [lin.out, lin.in]);
      if (lin.bias) shapes.set(lin.bias, [lin.out]);
    }
    shapes.set(l.postAttentionNorm, [d]);
    if (l.preFeedforwardNorm) shapes.set(l.preFeedforwardNorm, [d]);
    if (l.postFeedforwardNorm) shapes.set(l.postFeedforwardNorm, [d]);
    for (const lin of [l.gate, l.up, l.down]) {
      shapes.set(lin.weight, [lin.out, lin.in]);
      if (lin.bias) shapes.set(lin.bias, [lin.out]);
    }
  }
  shapes.set('model.norm.weight', [d]);
  if (!c.tie_word_embeddings) shapes.set('lm_head.weight', [c.vocab_size, d]);

  return {
    family,
    config: c,
    hidden: d,
    heads: H,
    kvHeads: KV,
    headDim: hd,
    vocab: c.vocab_size,
    eps: c.rms_norm_eps,
    normOffset: gemma ? 1 : 0,
    sandwichNorms: gemma,
    activation: gemma ? 'gelu_tanh' : 'silu',
    embedScale: gemma ? Math.fround(Math.sqrt(d)) : 1,
    attnScale: 1 / Math.sqrt(gemma ? (c.query_pre_attn_scalar ?? hd) : hd),
    attnSoftcap: gemma ? (c.attn_logit_softcapping ?? undefined) : undefined,
    finalSoftcap: gemma ? (c.final_logit_softcapping ?? undefined) : undefined,
    embedding: 'model.embed_tokens.weight',
    finalNorm: 'model.norm.weight',
    lmHead: c.tie_word_embeddings ? 'model.embed_tokens.weight' : 'lm_head.weight',
    layers,
    parameterShapes: shapes,
  };
}
