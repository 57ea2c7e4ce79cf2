/**
 * The decoder as an ONNX inference graph with a KV cache and Optimum-style names: the
 * inference backend of the one forward in ../arch/decoder.ts, family differences read
 * from the ModelSpec (../arch/spec.ts). The same file serves our generator and
 * transformers.js:
 *
 *   input_ids [batch, sequence_length] int64, attention_mask [batch, total_sequence_length] int64,
 *   position_ids [batch, sequence_length] int64, past_key_values.N.key|value
 *   [batch, kv_heads, past_sequence_length, head_dim] float32 (Optimum's inputs, nothing else)
 *   → logits [batch, kept, vocab], present.N.key|value [batch, kv_heads, total_sequence_length, head_dim],
 *     new_key_values [2·layers·batch, sequence_length, kv_heads, head_dim] (this step's rows of every present)
 *
 * num_logits_to_keep follows transformers.js: 0 = logits for every position (scoring), k = the
 * last k positions (generation passes 1, so prefill skips the prompt's lm_head work). It is an
 * initializer holding 0, which our generator turns into an input at load (logits-to-keep.ts).
 *
 * This file assembles the graph (embedding, norms, projections, MLP, lm_head, outputs);
 * attention-graph.ts writes attention and rope-graph.ts the rotary tables, linear-weights.ts
 * each Linear in its weight format. Everything but GroupQueryAttention, RotaryEmbedding,
 * SkipSimplifiedLayerNormalization and MatMulNBits (com.microsoft, in every ONNX Runtime build
 * transformers.js uses) is default-domain ops; the RMSNorm is written as
 * Pow/ReduceMean/Add/Sqrt/Div/Mul because that is the pattern ONNX Runtime's
 * SimplifiedLayerNormFusion recognizes at load. q/k/v and gate/up are fused into one MatMul
 * each (fewer kernel launches per decode step), the attention scale is folded into the q
 * weights (or the q_norm weights when the family norms q), Gemma's (1 + w) into the norm
 * weights, and RoPE runs on q and k together.
 */
import { encodeModel, float, tensor, type OnnxModel } from './onnx-builder.js';
import { decoderForward, type DecoderOps } from '../arch/decoder.js';
import type { LayerSpec, LinearSpec } from '../arch/spec.js';
import type { LlamaConfig } from '../hf-config.js';
import { AttentionGraph } from './attention-graph.js';
import { GraphContext } from './graph-context.js';
import { inferenceGraphFormat, NEW_ROWS_OUTPUT, type InferenceGraphOptions } from './graph-format.js';
import { stackedRows } from './graph-weights.js';
import { linearNodes } from './linear-weights.js';
import { LOGITS_TO_KEEP } from './logits-to-keep.js';

class LlamaGraphWriter {
  private readonly g: GraphContext;
  private readonly attention: AttentionGraph;
  /** Residual sums not emitted yet: the norm that reads each first writes it (SkipSimplifiedLayerNormalization). */
  private readonly pendingSums = new Map<string, [string, string]>();

  constructor(config: LlamaConfig, weights: Map<string, Float32Array>, options: InferenceGraphOptions) {
    this.g = new GraphContext(config, weights, options);
    this.attention = new AttentionGraph(this.g);
  }

  private matmul(x: string, name: string, hfWeight: Float32Array, outFeatures: number, inFeatures: number, bias?: Float32Array, output?: string): string {
    return linearNodes(this.g, x, name, hfWeight, outFeatures, inFeatures, bias, output);
  }

  /** RMSNorm over the last axis; `w` broadcasts over it (a [d] vector, or [heads, hd] for q/k norms). */
  private rmsNorm(x: string, name: string, w: Float32Array, dims: number[]): string {
    const { b } = this.g;
    const weight = b.initializer(name, tensor('float32', dims, w));
    const squared = b.op('Pow', [x, this.g.f32('two', 2)]);
    const mean = b.op('ReduceMean', [squared, this.g.i64('last_axis', [-1])], { keepdims: 1 });
    const rms = b.op('Sqrt', [b.op('Add', [mean, this.g.f32('rms_eps', this.g.spec.eps)])]);
    return b.op('Mul', [b.op('Div', [x, rms]), weight]);
  }

  /** The attention scale goes into q's projection, or into q_norm's weight when q is normed after it. */
  private qScale(layer: LayerSpec, where: 'projection' | 'norm'): number {
    return (layer.qNorm ? 'norm' : 'projection') === where ? this.g.spec.attnScale : 1;
  }

  readonly ops: DecoderOps<string, string> = {
    embed: () => {
      const { b, spec, d } = this.g;
      const embed = b.initializer(spec.embedding, tensor('float32', [spec.vocab, d], this.g.weight(spec.embedding)));
      const x = b.op('Gather', [embed, this.g.inputIds]); // (B, S, d)
      return spec.embedScale === 1 ? x : b.op('Mul', [x, this.g.f32('embed_scale', spec.embedScale)]);
    },
    norm: (x, name) => {
      const { b, d } = this.g;
      const sum = this.pendingSums.get(x);
      if (!sum) return this.rmsNorm(x, name, this.g.normWeight(name), [d]);
      // The residual add and the norm after it as one node; its fourth output is the sum itself.
      this.pendingSums.delete(x);
      const weight = b.initializer(name, tensor('float32', [d], this.g.normWeight(name)));
      const attrs = { epsilon: float(this.g.spec.eps) };
      return b.node('SkipSimplifiedLayerNormalization', [...sum, weight], attrs, [b.fresh('normed'), '', '', x], 'com.microsoft')[0];
    },
    add: (a, b) => this.g.b.op('Add', [a, b]),
    linear: (x, lin: LinearSpec, residual) => {
      const y = this.matmul(x, lin.weight, this.g.weight(lin.weight), lin.out, lin.in, lin.bias ? this.g.weight(lin.bias) : undefined);
      if (!residual) return y;
      // Every residual sum of a (non-sandwich) block is normed next: defer the Add into that norm.
      const sum = this.g.b.fresh('residual');
      this.pendingSums.set(sum, [residual, y]);
      return sum;
    },
    qkv: (x, layer) => {
      const { b, H, KV, hd, d } = this.g;
      const s = this.qScale(layer, 'projection');
      const p = `model.layers.${layer.index}.self_attn`;
      const q = this.g.weight(layer.q.weight);
      const qkv = stackedRows([s === 1 ? q : q.map((v) => v * s), this.g.weight(layer.k.weight), this.g.weight(layer.v.weight)]);
      const biases = layer.q.bias
        ? stackedRows([this.g.weight(layer.q.bias).map((v) => v * s), this.g.weight(layer.k.bias!), this.g.weight(layer.v.bias!)])
        : undefined;
      const fused = this.matmul(x, `${p}.qkv_proj.weight`, qkv, (H + 2 * KV) * hd, d, biases); // (B, S, (H+2KV)*hd)
      if (this.attention.flatHeads(layer)) {
        const [qk, v] = b.node('Split', [fused, this.g.i64('qk_v_flat', [(H + KV) * hd, KV * hd])], { axis: -1 }, 2);
        return { qk, v }; // (B, S, (H+KV)*hd), (B, S, KV*hd)
      }
      const perHead = b.op('Reshape', [fused, this.g.i64('qkv_heads', [0, 0, H + 2 * KV, hd])]); // (B, S, H+2KV, hd)
      const [qk, v] = b.node('Split', [perHead, this.g.i64('qk_v_heads', [H + KV, KV])], { axis: 2 }, 2);
      return { qk, v };
    },
    qkNorm: (qk, layer) => {
      const { H, KV, hd } = this.g;
      const s = this.qScale(layer, 'norm');
      const rows = [...Array<Float32Array>(H).fill(this.g.normWeight(layer.qNorm!, s)), ...Array<Float32Array>(KV).fill(this.g.normWeight(layer.kNorm!))];
      return this.rmsNorm(qk, `model.layers.${layer.index}.self_attn.qk_norm.weight`, stackedRows(rows), [H + KV, hd]);
    },
    attention: (qk, v, layer) => this.attention.attention(layer, qk, v),
    gatedMlp: (x, layer) => {
      const { b, d } = this.g;
      const f = layer.gate.out;
      const bias = layer.gate.bias ? stackedRows([this.g.weight(layer.gate.bias), this.g.weight(layer.up.bias!)]) : undefined;
      const weight = stackedRows([this.g.weight(layer.gate.weight), this.g.weight(layer.up.weight)]);
      const gateUp = this.matmul(x, `model.layers.${layer.index}.mlp.gate_up_proj.weight`, weight, 2 * f, d, bias);
      const [gate, up] = b.node('Split', [gateUp, this.g.i64('gate_up_sizes', [f, f])], { axis: -1 }, 2);
      return b.op('Mul', [this.activation(gate), up]);
    },
  };

  /** silu(x) = x·σ(x) (ONNX Runtime fuses it into QuickGelu at load); gelu_pytorch_tanh(x) = 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))). */
  private activation(x: string): string {
    const b = this.g.b;
    const f32 = this.g.f32.bind(this.g);
    if (this.g.spec.activation === 'silu') return b.op('Mul', [x, b.op('Sigmoid', [x])]);
    const cubic = b.op('Mul', [b.op('Pow', [x, f32('three', 3)]), f32('gelu_a', 0.044715)]);
    const inner = b.op('Mul', [b.op('Add', [x, cubic]), f32('gelu_k', Math.sqrt(2 / Math.PI))]);
    const halfX = b.op('Mul', [x, f32('half', 0.5)]);
    return b.op('Mul', [halfX, b.op('Add', [b.op('Tanh', [inner]), f32('one', 1)])]);
  }

  private lmHead(x: string): string {
    const { b, d, spec, config } = this.g;
    const V = spec.vocab;
    const output = spec.finalSoftcap === undefined ? 'logits' : undefined;
    let logits: string;
    if (!config.tie_word_embeddings || this.g.options.quantize) {
      logits = this.matmul(x, 'lm_head.weight', this.g.weight(spec.lmHead), V, d, undefined, output);
    } else {
      // Tied fp32: reuse the embedding initializer through Gemm(transB) instead of storing a transposed copy.
      const rows = b.op('Reshape', [x, this.g.i64('rows', [-1, d])]);
      const flat = b.op('Gemm', [rows, spec.embedding], { transB: 1 });
      const outShape = b.op('Concat', [b.op('Slice', [b.op('Shape', [x]), this.g.i64('s0', [0]), this.g.i64('s2', [2])]), this.g.i64('vocab', [V])], {
        axis: 0,
      });
      logits = b.op('Reshape', [flat, outShape], {}, output);
    }
    return output ? logits : this.g.softcap(logits, spec.finalSoftcap!, 'logits');
  }

  build(): OnnxModel {
    const { b, config, KV, hd } = this.g;
    b.input(this.g.inputIds, 'int64', ['batch_size', 'sequence_length']);
    b.input(this.g.attentionMask, 'int64', ['batch_size', 'total_sequence_length']);
    b.input(this.g.positionIds, 'int64', ['batch_size', 'sequence_length']);
    for (let i = 0; i < config.num_hidden_layers; i++) {
      for (const kind of ['key', 'value']) b.input(`past_key_values.${i}.${kind}`, 'float32', ['batch_size', KV, 'past_sequence_length', hd]);
    }
    // An initializer, not an input: runners that feed only the standard inputs get every
    // position's logits; our generator makes it an input at load (logits-to-keep.ts).
    const keep = b.initializer(LOGITS_TO_KEEP, tensor('int64', [], BigInt64Array.of(0n)));
    const h = decoderForward(this.g.spec, this.ops);
    if (this.pendingSums.size) throw new Error(`llama-graph: residual sums never normed: ${[...this.pendingSums.keys()].join(', ')}`);
    // Keep the last num_logits_to_keep positions (Slice from -0 = 0 keeps them all).
    const start = b.op('Unsqueeze', [b.op('Neg', [keep]), this.g.i64('axis0', [0])]);
    const kept = b.op('Slice', [h, start, this.g.i64('to_end', [Number.MAX_SAFE_INTEGER]), this.g.i64('axis1', [1])]);
    this.lmHead(kept);

    b.output('logits', 'float32', ['batch_size', 'logits_length', config.vocab_size]);
    for (let i = 0; i < config.num_hidden_layers; i++) {
      for (const kind of ['key', 'value']) b.output(`present.${i}.${kind}`, 'float32', ['batch_size', KV, 'total_sequence_length', hd]);
    }
    // This step's rows of the cache alone, every layer's key and value stacked along the first
    // axis (index 2·layer + 0 key / 1 value, times batch), in the rows' own (S, KV, hd) order:
    // our generator appends them to its buffers instead of fetching the whole present, in one
    // output because onnxruntime-node spends ~15 µs per fetched output, and transposes them
    // itself (src/inference/ort.ts). Other runtimes ignore it.
    const { newRows, usesGqa } = this.attention;
    if (usesGqa) {
      const stacked = b.op('Concat', newRows, { axis: 0 }); // (2L·B, S, KV*hd)
      b.op('Reshape', [stacked, this.g.i64('rows_per_head', [0, 0, KV, hd])], {}, NEW_ROWS_OUTPUT);
    } else b.op('Concat', newRows, { axis: 0 }, NEW_ROWS_OUTPUT);
    b.output(NEW_ROWS_OUTPUT, 'float32', ['layer_kinds_batch', 'sequence_length', KV, hd]);
    return b.toModel(undefined, inferenceGraphFormat({ ...this.g.options, attention: usesGqa ? 'gqa' : 'standard' }));
  }
}

export function buildLlamaInferenceGraph(config: LlamaConfig, weights: Map<string, Float32Array>, options: InferenceGraphOptions = {}): Uint8Array {
  return encodeModel(buildLlamaInferenceModel(config, weights, options));
}

/** The graph unserialized, for writers that stream large weights to an external data file (onnx-model-file.ts). */
export function buildLlamaInferenceModel(config: LlamaConfig, weights: Map<string, Float32Array>, options: InferenceGraphOptions = {}): OnnxModel {
  return new LlamaGraphWriter(config, weights, options).build();
}
