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
 * Attention is one com.microsoft GroupQueryAttention node per layer where the family allows
 * (see usesGroupQueryAttention), and 8/4-bit weights are com.microsoft MatMulNBits; both run in
 * ONNX Runtime (Node, Python, Web), which is what transformers.js uses. Everything else is
 * default-domain ops; the RMSNorm is written as Pow/ReduceMean/Add/Sqrt/Div/Mul because
 * that is the pattern ONNX Runtime's SimplifiedLayerNormFusion recognizes at load. q/k/v and
 * gate/up are fused into one MatMul each (fewer kernel launches per decode step), the
 * attention scale is folded into the q weights (or the q_norm weights when the family
 * norms q), Gemma's (1 + w) into the norm weights, and RoPE runs on q and k together.
 */
import { float, OnnxGraphBuilder, tensor } from './onnx-builder.js';
import { decoderForward, type DecoderOps } from '../arch/decoder.js';
import type { RopeSpec } from '../arch/rope-frequencies.js';
import { modelSpec, type LayerSpec, type LinearSpec, type ModelSpec } from '../arch/spec.js';
import type { LlamaConfig } from '../hf-config.js';
import { blockQuantized, QUANT_BLOCK, type BlockBits } from './block-quant.js';
import { LOGITS_TO_KEEP } from './logits-to-keep.js';
import { quantizedInt8, stackedRows, transposed, weightFor } from './graph-weights.js';

export interface InferenceGraphOptions {
  /**
   * Quantized weights for every Linear layer and lm_head: `int8` a scale per output column
   * (DynamicQuantizeLinear + MatMulInteger), o_proj and down_proj in q8 blocks (layerQuantization);
   * `q8` and `q4` a scale per 32 weights, as llama.cpp's q8_0 and q4_0 (com.microsoft
   * MatMulNBits, activations quantized per 32 inside the kernel).
   */
  quantize?: GraphQuantization;
  /** lm_head's own quantization (default: see lmHeadQuantization). */
  lmHead?: GraphQuantization;
  /** `gqa` (default where the family allows): com.microsoft GroupQueryAttention; `standard`: default-domain ops only. */
  attention?: 'gqa' | 'standard';
}

export type GraphQuantization = 'int8' | 'q8' | 'q4';

/** `persona export --quant` choices for the ONNX graph (fp32 = no quantization). */
export const ONNX_QUANTS = ['fp32', 'int8', 'q8', 'q4'] as const;

const NBITS: Partial<Record<GraphQuantization, BlockBits>> = { q8: 8, q4: 4 };

/**
 * GroupQueryAttention unless asked for standard attention or the family needs what its CPU
 * kernel does not do as Hugging Face does: measured, sliding-window layers (Mistral, Qwen2
 * with use_sliding_window, Gemma 3) disagreed with the reference, so they keep standard
 * attention, as does attention-logit softcapping (untested there).
 */
function usesGroupQueryAttention(spec: ModelSpec, options: InferenceGraphOptions): boolean {
  return options.attention !== 'standard' && spec.attnSoftcap === undefined && spec.layers.every((l) => l.window === undefined || !Number.isFinite(l.window));
}

/**
 * lm_head of a block-quantized graph stays 8-bit per output column (DynamicQuantizeMatMul): like
 * llama.cpp's q4_0, which keeps its output matrix at 8 bits, and measured no less accurate
 * than q8 blocks there (top-1 vs fp32, reference paragraph: base 100% either way, 135M shape
 * 90.5% against 89.7%) while ONNX Runtime's kernel for it is the faster one for the largest matrix.
 */
function lmHeadQuantization(options: InferenceGraphOptions): GraphQuantization | undefined {
  if (options.lmHead) return options.lmHead;
  return options.quantize === 'q8' || options.quantize === 'q4' ? 'int8' : options.quantize;
}

/**
 * The format of one Linear weight. `int8` quantizes o_proj and down_proj in q8 blocks: their
 * inputs (attention context, the gated MLP's product) carry the activation outliers that one
 * scale per activation row rounds away, and MatMulNBits quantizes activations per 32. Measured,
 * top-1 agreement with fp32 (Gettysburg / Pride and Prejudice openings): base 96.6/94.0% with
 * per-column int8 everywhere, 100/95.7% with these two in blocks, 100/97.4% all q8; 135M shape
 * 87.1/91.4%, 92.2/95.7%, 93.1/94.8%; for ~6% of a 135M decode step (profile 10.8 → 11.5 ms).
 */
function layerQuantization(name: string, options: InferenceGraphOptions): GraphQuantization | undefined {
  if (name === 'lm_head.weight') return lmHeadQuantization(options);
  if (options.quantize === 'int8' && /\.(o_proj|down_proj)\.weight$/.test(name)) return 'q8';
  return options.quantize;
}

/** MatMulNBits' accuracy_level 4: int8 activations, the level ONNX Runtime's CPU kernels are fast at. */
const INT8_ACTIVATIONS = 4;

/** The output holding this step's cache rows of every layer (see build()). */
export const NEW_ROWS_OUTPUT = 'new_key_values';

/** float32's lowest value: masked scores (HF uses finfo.min too, so fully masked rows stay finite). */
const MASKED_SCORE = -3.4028234663852886e38;

class LlamaGraphWriter {
  readonly b = new OnnxGraphBuilder('llama_decoder');
  private readonly spec: ModelSpec;
  private readonly H: number;
  private readonly KV: number;
  private readonly hd: number;
  private readonly d: number;
  private readonly constants = new Map<string, string>();
  private inputIds = 'input_ids';
  private attentionMaskInput = 'attention_mask';
  private positionIds = 'position_ids';

  constructor(
    private readonly config: LlamaConfig,
    private readonly weights: Map<string, Float32Array>,
    private readonly options: InferenceGraphOptions,
  ) {
    this.spec = modelSpec(config);
    this.H = this.spec.heads;
    this.KV = this.spec.kvHeads;
    this.hd = this.spec.headDim;
    this.d = this.spec.hidden;
    this.usesGqa = usesGroupQueryAttention(this.spec, options);
  }

  private readonly usesGqa: boolean;

  /** Small int64 constant, shared by every node that needs the same values. */
  i64(hint: string, values: number[], dims: number[] = [values.length]): string {
    return this.shared(`i64:${dims}:${values}`, () => this.b.constant(hint, tensor('int64', dims, BigInt64Array.from(values.map(BigInt)))));
  }

  f32(hint: string, value: number): string {
    return this.shared(`f32:${value}`, () => this.b.constant(hint, tensor('float32', [], Float32Array.of(value))));
  }

  private shared(key: string, make: () => string): string {
    let name = this.constants.get(key);
    if (!name) this.constants.set(key, (name = make()));
    return name;
  }

  weight(name: string): Float32Array {
    return weightFor(this.config, this.weights, name);
  }

  /** x [.., in] × W^T (+ bias) where `hfWeight` is HF's [out, in] matrix (already stacked/scaled as needed). */
  matmul(x: string, name: string, hfWeight: Float32Array, outFeatures: number, inFeatures: number, bias?: Float32Array, output?: string): string {
    const out = bias ? undefined : output;
    const quantize = layerQuantization(name, this.options);
    const bits = quantize && NBITS[quantize];
    let y: string;
    if (bits) {
      const q = blockQuantized(hfWeight, outFeatures, inFeatures, bits); // HF's [out, in] is MatMulNBits' layout
      const wq = this.b.initializer(`${name}_q${bits}`, tensor('uint8', [outFeatures, q.blocks, (QUANT_BLOCK * bits) / 8], q.packed));
      const ws = this.b.initializer(`${name}_scales`, tensor('float32', [outFeatures * q.blocks], q.scales));
      const attrs = { K: inFeatures, N: outFeatures, bits, block_size: QUANT_BLOCK, accuracy_level: INT8_ACTIVATIONS };
      y = this.b.node('MatMulNBits', [x, wq, ws], attrs, out ? [out] : 1, 'com.microsoft')[0];
    } else if (quantize !== 'int8') {
      const w = transposed(hfWeight, outFeatures, inFeatures); // (in, out)
      y = this.b.op('MatMul', [x, this.b.initializer(name, tensor('float32', [inFeatures, outFeatures], w))], {}, out);
    } else {
      const w = transposed(hfWeight, outFeatures, inFeatures); // (in, out)
      const q = quantizedInt8(w, inFeatures, outFeatures);
      const wq = this.b.initializer(`${name}_quantized`, tensor('int8', [inFeatures, outFeatures], q.values));
      const ws = this.b.initializer(`${name}_scale`, tensor('float32', [outFeatures], q.scales));
      // The exact chain ORT's DynamicQuantizeMatMulFusion turns into one fused kernel at load.
      const [xq, xs, xzp] = this.b.node('DynamicQuantizeLinear', [x], {}, 3);
      const acc = this.b.op('MatMulInteger', [xq, wq, xzp]);
      const accF = this.b.op('Cast', [acc], { to: 1 });
      y = this.b.op('Mul', [accF, this.b.op('Mul', [xs, ws])], {}, out);
    }
    if (!bias) return y;
    return this.b.op('Add', [y, this.b.initializer(name.replace(/\.weight$/, '.bias'), tensor('float32', [outFeatures], bias))], {}, output);
  }

  /** An HF norm weight as the graph multiplies by it: (offset + w) · scale. */
  normWeight(name: string, scale = 1): Float32Array {
    const w = this.weight(name);
    return this.spec.normOffset === 0 && scale === 1 ? w : w.map((v) => (v + this.spec.normOffset) * scale);
  }

  /** RMSNorm over the last axis; `w` broadcasts over it (a [d] vector, or [heads, hd] for q/k norms). */
  rmsNorm(x: string, name: string, w: Float32Array, dims: number[]): string {
    const weight = this.b.initializer(name, tensor('float32', dims, w));
    const squared = this.b.op('Pow', [x, this.f32('two', 2)]);
    const mean = this.b.op('ReduceMean', [squared, this.i64('last_axis', [-1])], { keepdims: 1 });
    const rms = this.b.op('Sqrt', [this.b.op('Add', [mean, this.f32('rms_eps', this.spec.eps)])]);
    return this.b.op('Mul', [this.b.op('Div', [x, rms]), weight]);
  }

  /**
   * HF apply_rotary_pos_emb, x * cos + rotate_half(x) * sin, on x [B, S, heads, hd] (q and k
   * heads together). rotate_half(x) * sin = cat(x2, x1) * cat(-sin1, sin2): the sign lives in
   * the shared `sinSigned` table, so each layer needs no Neg.
   */
  rope(x: string, cos: string, sinSigned: string): string {
    const half = this.i64('rope_halves', [this.hd / 2, this.hd / 2]);
    const [x1, x2] = this.b.node('Split', [x, half], { axis: -1 }, 2);
    const swapped = this.b.op('Concat', [x2, x1], { axis: -1 });
    return this.b.op('Add', [this.b.op('Mul', [x, cos]), this.b.op('Mul', [swapped, sinSigned])]);
  }

  private readonly ropes = new Map<string, { cos: string; sinSigned: string }>();

  /** cos and sign-folded sin [B, S, 1, hd] from position_ids, in float32 like HF's rotary embedding; once per distinct rotation. */
  ropeTables(rope: RopeSpec): { cos: string; sinSigned: string } {
    const found = this.ropes.get(rope.key);
    if (found) return found;
    const inv = this.inverseFrequencies(rope);
    const pos = this.b.op('Unsqueeze', [this.b.op('Cast', [this.positionIds], { to: 1 }), this.i64('axes23', [2, 3])]); // (B, S, 1, 1)
    const freqs = this.b.op('Mul', [pos, inv]); // (B, S, 1, hd/2)
    const cosHalf = this.b.op('Cos', [freqs]);
    const sinHalf = this.b.op('Sin', [freqs]);
    const tables = {
      cos: this.b.op('Concat', [cosHalf, cosHalf], { axis: -1 }), // (B, S, 1, hd)
      sinSigned: this.b.op('Concat', [this.b.op('Neg', [sinHalf]), sinHalf], { axis: -1 }),
    };
    this.ropes.set(rope.key, tables);
    return tables;
  }

  /**
   * inv_freq [hd/2] as a constant, or for `dynamic` scaling computed from L = max(position_ids) + 1:
   * base = θ·((factor·L / max) − (factor − 1))^(dim / (dim − 2)) once L passes max_position_embeddings.
   */
  private inverseFrequencies(rope: RopeSpec): string {
    const fixed = this.b.constant('rope_inv_freq', tensor('float32', [this.hd / 2], rope.invFreq));
    if (!rope.dynamic) return fixed;
    const { theta, factor, maxPositions, dim } = rope.dynamic;
    const length = this.b.op('Add', [this.b.op('Cast', [this.b.op('ReduceMax', [this.positionIds], { keepdims: 0 })], { to: 1 }), this.f32('one', 1)]);
    const ratio = this.b.op('Sub', [this.b.op('Mul', [length, this.f32('dyn_slope', factor / maxPositions)]), this.f32('dyn_offset', factor - 1)]);
    const base = this.b.op('Mul', [this.f32('dyn_theta', theta), this.b.op('Pow', [ratio, this.f32('dyn_power', dim / (dim - 2))])]);
    const exponents = this.b.constant(
      'rope_exponents',
      tensor(
        'float32',
        [dim / 2],
        Float32Array.from({ length: dim / 2 }, (_, i) => (2 * i) / dim),
      ),
    );
    const scaled = this.b.op('Reciprocal', [this.b.op('Pow', [base, exponents])]);
    return this.b.op('Where', [this.b.op('Greater', [length, this.f32('dyn_max', maxPositions)]), scaled, fixed]);
  }

  /** Each layer's new key and value rows, in layer order (stacked into NEW_ROWS_OUTPUT). */
  private readonly newRows: string[] = [];

  /** Residual sums not emitted yet: the norm that reads each first writes it (SkipSimplifiedLayerNormalization). */
  private readonly pendingSums = new Map<string, [string, string]>();

  private readonly rotaryCaches = new Map<string, { positions: string; cos: string; sin: string }>();

  /**
   * com.microsoft RotaryEmbedding's inputs for this step: cos/sin caches [S, hd/2] of this
   * step's positions (batch row 0's: GroupQueryAttention graphs already assume every row at the
   * same positions) and position_ids 0..S-1 indexing them. Computed in the graph from
   * position_ids like ropeTables, so every rotary variant (scaled, dynamic) stays in one place.
   */
  private rotaryCache(rope: RopeSpec): { positions: string; cos: string; sin: string } {
    const found = this.rotaryCaches.get(rope.key);
    if (found) return found;
    const row = this.b.op('Gather', [this.positionIds, this.i64('zero_index', [0], [])], { axis: 0 }); // (S)
    const angles = this.b.op('Mul', [this.b.op('Unsqueeze', [this.b.op('Cast', [row], { to: 1 }), this.i64('axis1', [1])]), this.inverseFrequencies(rope)]); // (S, hd/2)
    const seq = this.b.op('Gather', [this.b.op('Shape', [this.positionIds]), this.i64('one_index', [1], [])]);
    const local = this.b.op('Range', [this.i64('zero_index', [0], []), seq, this.i64('one_index', [1], [])]); // (S)
    const positions = this.b.op('Expand', [this.b.op('Unsqueeze', [local, this.i64('axis0', [0])]), this.b.op('Shape', [this.positionIds])]); // (B, S)
    const cache = { positions, cos: this.b.op('Cos', [angles]), sin: this.b.op('Sin', [angles]) };
    this.rotaryCaches.set(rope.key, cache);
    return cache;
  }

  /** Whether q/k/v stay flat (B, S, heads*hd) through RoPE (one RotaryEmbedding node) into GroupQueryAttention: families without q/k norms. */
  private flatHeads(layer: LayerSpec): boolean {
    return this.usesGqa && !layer.qNorm;
  }

  private readonly masks = new Map<number, string>();

  /**
   * Boolean "may attend" mask [B, 1, G*S, T]: causal over absolute positions (queries sit at
   * past..T-1), within `window` attended tokens back for sliding layers, and the caller's
   * attention_mask (padding). Rows repeat per query group because attention runs on q
   * reshaped to [B, KV, G*S, hd]. One per distinct window.
   */
  attentionMask(window = Infinity): string {
    const found = this.masks.get(window);
    if (found) return found;
    const zero = this.i64('zero_index', [0], []);
    const one = this.i64('one_index', [1], []);
    const total = this.b.op('Gather', [this.b.op('Shape', [this.attentionMaskInput]), one]);
    const seq = this.b.op('Gather', [this.b.op('Shape', [this.inputIds]), one]);
    const past = this.b.op('Sub', [total, seq]);
    const keyIdx = this.b.op('Range', [zero, total, one]); // (T)
    const queryIdx = this.b.op('Unsqueeze', [this.b.op('Range', [past, total, one]), this.i64('axis1', [1])]); // (S, 1)
    const causal = this.b.op('LessOrEqual', [keyIdx, queryIdx]); // (S, T)
    const padding = this.b.op('Unsqueeze', [this.b.op('Cast', [this.attentionMaskInput], { to: 9 }), this.i64('axes12', [1, 2])]); // (B, 1, 1, T)
    let allowed = this.b.op('And', [causal, padding]); // (B, 1, S, T)
    if (Number.isFinite(window)) {
      // Distances count attended tokens only (the cumulative sum of attention_mask), so spare
      // or padded cache rows between the past and this step's keys do not shrink the window.
      const index = this.b.op('Sub', [this.b.op('CumSum', [this.attentionMaskInput, this.i64('axis1_scalar', [1], [])]), one]); // (B, T)
      const keyPos = this.b.op('Unsqueeze', [index, this.i64('axes12', [1, 2])]); // (B, 1, 1, T)
      const queryPos = this.b.op('Unsqueeze', [
        this.b.op('Slice', [
          index,
          this.b.op('Unsqueeze', [this.b.op('Neg', [seq]), this.i64('axis0', [0])]),
          this.i64('to_end', [Number.MAX_SAFE_INTEGER]),
          this.i64('axis1', [1]),
        ]),
        this.i64('axes13', [1, 3]),
      ]); // (B, 1, S, 1)
      const recent = this.b.op('Less', [this.b.op('Sub', [queryPos, keyPos]), this.i64(`window_${window}`, [window], [])]);
      allowed = this.b.op('And', [allowed, recent]);
    }
    const mask = this.b.op('Tile', [allowed, this.i64('group_repeats', [1, 1, this.H / this.KV, 1])]); // (B, 1, G*S, T)
    this.masks.set(window, mask);
    return mask;
  }

  /** The attention scale goes into q's projection, or into q_norm's weight when q is normed after it. */
  private qScale(layer: LayerSpec, where: 'projection' | 'norm'): number {
    return (layer.qNorm ? 'norm' : 'projection') === where ? this.spec.attnScale : 1;
  }

  readonly ops: DecoderOps<string, string> = {
    embed: () => {
      const embed = this.b.initializer(this.spec.embedding, tensor('float32', [this.spec.vocab, this.d], this.weight(this.spec.embedding)));
      const x = this.b.op('Gather', [embed, this.inputIds]); // (B, S, d)
      return this.spec.embedScale === 1 ? x : this.b.op('Mul', [x, this.f32('embed_scale', this.spec.embedScale)]);
    },
    norm: (x, name) => {
      const sum = this.pendingSums.get(x);
      if (!sum) return this.rmsNorm(x, name, this.normWeight(name), [this.d]);
      // The residual add and the norm after it as one node; its fourth output is the sum itself.
      this.pendingSums.delete(x);
      const weight = this.b.initializer(name, tensor('float32', [this.d], this.normWeight(name)));
      const attrs = { epsilon: float(this.spec.eps) };
      return this.b.node('SkipSimplifiedLayerNormalization', [...sum, weight], attrs, [this.b.fresh('normed'), '', '', x], 'com.microsoft')[0];
    },
    add: (a, b) => this.b.op('Add', [a, b]),
    linear: (x, lin: LinearSpec, residual) => {
      const y = this.matmul(x, lin.weight, this.weight(lin.weight), lin.out, lin.in, lin.bias ? this.weight(lin.bias) : undefined);
      if (!residual) return y;
      // Every residual sum of a (non-sandwich) block is normed next: defer the Add into that norm.
      const sum = this.b.fresh('residual');
      this.pendingSums.set(sum, [residual, y]);
      return sum;
    },
    qkv: (x, layer) => {
      const { H, KV, hd, d } = this;
      const s = this.qScale(layer, 'projection');
      const p = `model.layers.${layer.index}.self_attn`;
      const q = this.weight(layer.q.weight);
      const qkv = stackedRows([s === 1 ? q : q.map((v) => v * s), this.weight(layer.k.weight), this.weight(layer.v.weight)]);
      const biases = layer.q.bias
        ? stackedRows([this.weight(layer.q.bias).map((v) => v * s), this.weight(layer.k.bias!), this.weight(layer.v.bias!)])
        : undefined;
      const fused = this.matmul(x, `${p}.qkv_proj.weight`, qkv, (H + 2 * KV) * hd, d, biases); // (B, S, (H+2KV)*hd)
      if (this.flatHeads(layer)) {
        const [qk, v] = this.b.node('Split', [fused, this.i64('qk_v_flat', [(H + KV) * hd, KV * hd])], { axis: -1 }, 2);
        return { qk, v }; // (B, S, (H+KV)*hd), (B, S, KV*hd)
      }
      const perHead = this.b.op('Reshape', [fused, this.i64('qkv_heads', [0, 0, H + 2 * KV, hd])]); // (B, S, H+2KV, hd)
      const [qk, v] = this.b.node('Split', [perHead, this.i64('qk_v_heads', [H + KV, KV])], { axis: 2 }, 2);
      return { qk, v };
    },
    qkNorm: (qk, layer) => {
      const { H, KV, hd } = this;
      const s = this.qScale(layer, 'norm');
      const rows = [...Array<Float32Array>(H).fill(this.normWeight(layer.qNorm!, s)), ...Array<Float32Array>(KV).fill(this.normWeight(layer.kNorm!))];
      return this.rmsNorm(qk, `model.layers.${layer.index}.self_attn.qk_norm.weight`, stackedRows(rows), [H + KV, hd]);
    },
    attention: (qk, v, layer) => this.attention(layer, qk, v),
    gatedMlp: (x, layer) => {
      const f = layer.gate.out;
      const bias = layer.gate.bias ? stackedRows([this.weight(layer.gate.bias), this.weight(layer.up.bias!)]) : undefined;
      const weight = stackedRows([this.weight(layer.gate.weight), this.weight(layer.up.weight)]);
      const gateUp = this.matmul(x, `model.layers.${layer.index}.mlp.gate_up_proj.weight`, weight, 2 * f, this.d, bias);
      const [gate, up] = this.b.node('Split', [gateUp, this.i64('gate_up_sizes', [f, f])], { axis: -1 }, 2);
      return this.b.op('Mul', [this.activation(gate), up]);
    },
  };

  /** silu(x) = x·σ(x); gelu_pytorch_tanh(x) = 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))). */
  private activation(x: string): string {
    if (this.spec.activation === 'silu') return this.b.op('Mul', [x, this.b.op('Sigmoid', [x])]);
    const cubic = this.b.op('Mul', [this.b.op('Pow', [x, this.f32('three', 3)]), this.f32('gelu_a', 0.044715)]);
    const inner = this.b.op('Mul', [this.b.op('Add', [x, cubic]), this.f32('gelu_k', Math.sqrt(2 / Math.PI))]);
    const halfX = this.b.op('Mul', [x, this.f32('half', 0.5)]);
    return this.b.op('Mul', [halfX, this.b.op('Add', [this.b.op('Tanh', [inner]), this.f32('one', 1)])]);
  }

  /** c·tanh(x / c). */
  private softcap(x: string, c: number, output?: string): string {
    return this.b.op('Mul', [this.b.op('Tanh', [this.b.op('Div', [x, this.f32(`softcap_${c}`, c)])]), this.f32(`softcap_${c}`, c)], {}, output);
  }

  private cacheLengths?: { seqlensK: string; total: string };

  /**
   * GroupQueryAttention's view of attention_mask: seqlens_k = (attended tokens − 1) as int32 [B]
   * and total_sequence_length = the mask's length as an int32 scalar. Valid rows must be
   * contiguous from position 0 (no left padding), as in every batch-1 generation.
   */
  private gqaLengths(): { seqlensK: string; total: string } {
    if (this.cacheLengths) return this.cacheLengths;
    const attended = this.b.op('ReduceSum', [this.attentionMaskInput, this.i64('axis1', [1])], { keepdims: 0 });
    const seqlensK = this.b.op('Cast', [this.b.op('Sub', [attended, this.i64('one_index', [1], [])])], { to: 6 });
    const length = this.b.op('Gather', [this.b.op('Shape', [this.attentionMaskInput]), this.i64('one_index', [1], [])]);
    this.cacheLengths = { seqlensK, total: this.b.op('Cast', [length], { to: 6 }) };
    return this.cacheLengths;
  }

  /**
   * One com.microsoft GroupQueryAttention node per layer: causal attention over past + new rows
   * without a materialized mask, transposes or a separate softmax, the cache concatenated
   * inside the kernel (about 10 fewer nodes per layer: ONNX Runtime spends microseconds per
   * node, which at small models is a large share of a decode step). q/k arrive rotated (by
   * RotaryEmbedding on tables computed here, or the rope() ops when q/k are normed per head);
   * the attention scale is already in q's weights, so scale = 1. Binding present.* to the past buffers would let the kernel
   * write in place, but onnxruntime-node copies every fetched output into a new buffer, which
   * costs more than the kernel's own copy; so this step's rows go out in new_key_values.
   */
  private groupQueryAttention(layer: LayerSpec, q: string, k: string, v: string): string {
    const { H, KV, hd } = this;
    const i = layer.index;
    // q (B, S, H*hd), k and v (B, S, KV*hd), k rotated.
    this.newRows.push(k, v);
    const { seqlensK, total } = this.gqaLengths();
    const [context] = this.b.node(
      'GroupQueryAttention',
      [q, k, v, `past_key_values.${i}.key`, `past_key_values.${i}.value`, seqlensK, total],
      { num_heads: H, kv_num_heads: KV, scale: float(1) },
      [this.b.fresh(`attention_${i}`), `present.${i}.key`, `present.${i}.value`],
      'com.microsoft',
    );
    return context; // (B, S, H*hd)
  }

  attention(layer: LayerSpec, qk: string, v: string): string {
    const { H, KV, hd } = this;
    const i = layer.index;
    const { cos, sinSigned } = this.ropeTables(layer.rope);
    if (this.flatHeads(layer)) {
      const { positions, cos: cosCache, sin: sinCache } = this.rotaryCache(layer.rope);
      const rotated = this.b.node('RotaryEmbedding', [qk, positions, cosCache, sinCache], { num_heads: H + KV }, 1, 'com.microsoft')[0];
      const [q, k] = this.b.node('Split', [rotated, this.i64('q_k_flat', [H * hd, KV * hd])], { axis: -1 }, 2);
      return this.groupQueryAttention(layer, q, k, v);
    }
    if (this.usesGqa) {
      const [q, k] = this.b.node('Split', [this.rope(qk, cos, sinSigned), this.i64('q_k_heads', [H, KV])], { axis: 2 }, 2);
      const flat = (t: string, heads: number) => this.b.op('Reshape', [t, this.i64(`flat_${heads}`, [0, 0, heads * hd])]);
      return this.groupQueryAttention(layer, flat(q, H), flat(k, KV), flat(v, KV));
    }
    const [q, k] = this.b.node('Split', [this.rope(qk, cos, sinSigned), this.i64('q_k_heads', [H, KV])], { axis: 2 }, 2);
    const headsFirst = (t: string, output?: string) => this.b.op('Transpose', [t], { perm: [0, 2, 1, 3] }, output); // (B, heads, S, hd)
    const qRot = headsFirst(q);
    this.newRows.push(k, v); // (B, S, KV, hd)
    const presentKey = this.b.op('Concat', [`past_key_values.${i}.key`, headsFirst(k)], { axis: 2 }, `present.${i}.key`); // (B, KV, T, hd)
    const presentValue = this.b.op('Concat', [`past_key_values.${i}.value`, headsFirst(v)], { axis: 2 }, `present.${i}.value`);
    const qGrouped = this.b.op('Reshape', [qRot, this.i64('q_grouped', [0, KV, -1, hd])]); // (B, KV, G*S, hd)
    let scores = this.b.op('MatMul', [qGrouped, this.b.op('Transpose', [presentKey], { perm: [0, 1, 3, 2] })]); // (B, KV, G*S, T)
    if (this.spec.attnSoftcap !== undefined) scores = this.softcap(scores, this.spec.attnSoftcap);
    const masked = this.b.op('Where', [this.attentionMask(layer.window), scores, this.f32('masked_score', MASKED_SCORE)]);
    const context = this.b.op('MatMul', [this.b.op('Softmax', [masked], { axis: -1 }), presentValue]); // (B, KV, G*S, hd)
    const contextPerHead = this.b.op('Transpose', [this.b.op('Reshape', [context, this.i64('heads_ungrouped', [0, H, -1, hd])])], { perm: [0, 2, 1, 3] }); // (B, S, H, hd)
    return this.b.op('Reshape', [contextPerHead, this.i64('merged_heads', [0, 0, H * hd])]);
  }

  lmHead(x: string): string {
    const { d } = this;
    const V = this.spec.vocab;
    const tied = this.config.tie_word_embeddings;
    const output = this.spec.finalSoftcap === undefined ? 'logits' : undefined;
    let logits: string;
    if (!tied || this.options.quantize) {
      logits = this.matmul(x, 'lm_head.weight', this.weight(this.spec.lmHead), V, d, undefined, output);
    } else {
      // Tied fp32: reuse the embedding initializer through Gemm(transB) instead of storing a transposed copy.
      const rows = this.b.op('Reshape', [x, this.i64('rows', [-1, d])]);
      const flat = this.b.op('Gemm', [rows, this.spec.embedding], { transB: 1 });
      const outShape = this.b.op('Concat', [this.b.op('Slice', [this.b.op('Shape', [x]), this.i64('s0', [0]), this.i64('s2', [2])]), this.i64('vocab', [V])], {
        axis: 0,
      });
      logits = this.b.op('Reshape', [flat, outShape], {}, output);
    }
    return output ? logits : this.softcap(logits, this.spec.finalSoftcap!, 'logits');
  }

  build(): Uint8Array {
    const { b, config, KV, hd } = this;
    b.input(this.inputIds, 'int64', ['batch_size', 'sequence_length']);
    b.input(this.attentionMaskInput, 'int64', ['batch_size', 'total_sequence_length']);
    b.input(this.positionIds, 'int64', ['batch_size', 'sequence_length']);
    for (let i = 0; i < config.num_hidden_layers; i++) {
      for (const kind of ['key', 'value']) b.input(`past_key_values.${i}.${kind}`, 'float32', ['batch_size', KV, 'past_sequence_length', hd]);
    }
    // An initializer, not an input: runners that feed only the standard inputs get every
    // position's logits; our generator makes it an input at load (logits-to-keep.ts).
    const keep = b.initializer(LOGITS_TO_KEEP, tensor('int64', [], BigInt64Array.of(0n)));
    const h = decoderForward(this.spec, this.ops);
    if (this.pendingSums.size) throw new Error(`llama-graph: residual sums never normed: ${[...this.pendingSums.keys()].join(', ')}`);
    // Keep the last num_logits_to_keep positions (Slice from -0 = 0 keeps them all).
    const start = b.op('Unsqueeze', [b.op('Neg', [keep]), this.i64('axis0', [0])]);
    const kept = b.op('Slice', [h, start, this.i64('to_end', [Number.MAX_SAFE_INTEGER]), this.i64('axis1', [1])]);
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
    if (this.usesGqa) {
      const stacked = b.op('Concat', this.newRows, { axis: 0 }); // (2L·B, S, KV*hd)
      b.op('Reshape', [stacked, this.i64('rows_per_head', [0, 0, KV, hd])], {}, NEW_ROWS_OUTPUT);
    } else b.op('Concat', this.newRows, { axis: 0 }, NEW_ROWS_OUTPUT);
    b.output(NEW_ROWS_OUTPUT, 'float32', ['layer_kinds_batch', 'sequence_length', KV, hd]);
    return b.toBytes(undefined, inferenceGraphFormat({ ...this.options, attention: this.usesGqa ? 'gqa' : 'standard' }));
  }
}

/**
 * ModelProto.producer_version of the graphs this exporter writes. Bump the number whenever a
 * change makes earlier exports worth replacing (2: new_key_values outputs; 3: one model
 * definition, Qwen2 biases no longer dropped, only standard inputs; 4: GroupQueryAttention,
 * block-quantized q8/q4, new rows in one output; 5: int8 with o_proj/down_proj in q8 blocks); model folders' onnx/model.onnx files with an
 * older tag are re-exported when next loaded (onnx/folder-graph.ts). The tag also names the
 * quantization (`+int8`, `+q8`, `+q4`) and standard attention (`+mha`).
 */
export const INFERENCE_GRAPH_FORMAT = 5;

const TAG = /^llama-decoder\/(\d+)((?:\+[a-z0-9]+)*)$/;

export function inferenceGraphFormat(options: InferenceGraphOptions): string {
  return `llama-decoder/${INFERENCE_GRAPH_FORMAT}${options.quantize ? `+${options.quantize}` : ''}${options.attention === 'standard' ? '+mha' : ''}`;
}

/** What a producer_version of ours says: format number, quantization, attention; undefined for other tags. */
export function parseGraphFormat(version: string): { format: number; options: InferenceGraphOptions } | undefined {
  const match = TAG.exec(version);
  if (!match) return undefined;
  const parts = match[2].split('+').slice(1);
  const quantize = parts.find((p): p is GraphQuantization => p === 'int8' || p === 'q8' || p === 'q4');
  return { format: Number(match[1]), options: { ...(quantize ? { quantize } : {}), ...(parts.includes('mha') ? { attention: 'standard' as const } : {}) } };
}

export function buildLlamaInferenceGraph(config: LlamaConfig, weights: Map<string, Float32Array>, options: InferenceGraphOptions = {}): Uint8Array {
  return new LlamaGraphWriter(config, weights, options).build();
}
