/**
 * The decoder forward, written once (nanoGPT's single `forward`) against a small op
 * interface with two backends: the training IR (src/training/llama.ts, static shapes,
 * autodiff, fused backward passes) and the ONNX inference graph
 * (src/modelfmt/onnx/llama-graph.ts, KV cache, Optimum names). The order of the blocks and
 * every family choice (which norms, q/k norms, sandwich norms) is decided here from the
 * ModelSpec; a backend only implements the primitives, each honouring the spec's
 * parameters (norm offset, biases, rotary tables, windows, scales, soft-caps).
 *
 * A backend is free to fuse inside a primitive (q/k/v as one MatMul, the attention scale
 * folded into weights, a residual into Gemm's C input) as long as the math is the HF one.
 */
import { PersonaError } from '../../errors.js';
import type { LayerSpec, LinearSpec, ModelSpec } from './spec.js';

/**
 * X: a hidden-state tensor (rows × hidden or B × S × hidden, backend's choice).
 * QK: the backend's representation of a layer's query and key heads.
 */
export interface DecoderOps<X, QK> {
  /** Token embeddings times spec.embedScale. */
  embed(): X;
  /** RMSNorm over the hidden axis: x / √(mean(x²) + eps) · (spec.normOffset + w). */
  norm(x: X, weight: string): X;
  add(a: X, b: X): X;
  /** x · Wᵀ (+ bias) (+ residual). */
  linear(x: X, linear: LinearSpec, residual?: X): X;
  /** The q, k and v projections (with biases) split into heads. */
  qkv(x: X, layer: LayerSpec): { qk: QK; v: X };
  /** Per-head RMSNorm of q (layer.qNorm) and k (layer.kNorm), before RoPE. */
  qkNorm(qk: QK, layer: LayerSpec): QK;
  /**
   * RoPE with layer.rope, softmax(q·kᵀ · spec.attnScale, soft-capped, causal within
   * layer.window) · v, heads merged back to H·head_dim features (before o_proj).
   */
  attention(qk: QK, v: X, layer: LayerSpec): X;
  /** act(x·gateᵀ) · (x·upᵀ) with spec.activation. */
  gatedMlp(x: X, layer: LayerSpec): X;
  /** Runs one layer, `run(x)`; training may recompute it in the backward (activation checkpointing). Default: run(x). */
  block?(x: X, run: (x: X) => X): X;
}

/** Final hidden states after the last norm; the backend applies lm_head (and spec.finalSoftcap). */
export function decoderForward<X, QK>(spec: ModelSpec, ops: DecoderOps<X, QK>): X {
  if (spec.headDim % 2 !== 0) {
    throw new PersonaError('model_unsupported', `config.json: field "head_dim" is ${spec.headDim}; rotary embeddings need an even head dimension.`, {
      field: 'head_dim',
    });
  }
  const decoderLayer = (layer: LayerSpec) => (x: X) => {
    const { qk, v } = ops.qkv(ops.norm(x, layer.inputNorm), layer);
    const heads = ops.attention(layer.qNorm ? ops.qkNorm(qk, layer) : qk, v, layer);
    if (spec.sandwichNorms) {
      // Gemma 3: each block's output is normed before its residual add.
      x = ops.add(x, ops.norm(ops.linear(heads, layer.o), layer.postAttentionNorm));
      const mlp = ops.gatedMlp(ops.norm(x, layer.preFeedforwardNorm!), layer);
      return ops.add(x, ops.norm(ops.linear(mlp, layer.down), layer.postFeedforwardNorm!));
    }
    x = ops.linear(heads, layer.o, x);
    return ops.linear(ops.gatedMlp(ops.norm(x, layer.postAttentionNorm), layer), layer.down, x);
  };
  let x = ops.embed();
  for (const layer of spec.layers) x = ops.block ? ops.block(x, decoderLayer(layer)) : decoderLayer(layer)(x);
  return ops.norm(x, spec.finalNorm);
}
