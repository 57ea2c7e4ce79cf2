/**
 * The Llama decoder as an ONNX inference graph with a KV cache and Optimum-style names, so
 * the same file serves our generator and transformers.js:
 *
 *   input_ids [batch, sequence_length] int64, attention_mask [batch, total_sequence_length] int64,
 *   position_ids [batch, sequence_length] int64, past_key_values.N.key|value
 *   [batch, kv_heads, past_sequence_length, head_dim] float32, num_logits_to_keep [] int64
 *   → logits [batch, kept, vocab], present.N.key|value [batch, kv_heads, total_sequence_length, head_dim],
 *     new_key_values.N.key|value [batch, kv_heads, sequence_length, head_dim] (this step's rows of present)
 *
 * num_logits_to_keep follows transformers.js: 0 = logits for every position (scoring), k = the
 * last k positions (generation passes 1, so prefill skips the prompt's lm_head work).
 *
 * Only default-domain ops; the RMSNorm is written as Pow/ReduceMean/Add/Sqrt/Div/Mul because
 * that is the pattern ONNX Runtime's SimplifiedLayerNormFusion recognizes at load. q/k/v and
 * gate/up are fused into one MatMul each (fewer kernel launches per decode step), and the
 * attention scale is folded into the q weights.
 */
import { OnnxGraphBuilder, tensor } from '../../onnx/builder.js';
import type { LlamaConfig } from '../config.js';
import { ropeInverseFrequencies } from './rope.js';
import { quantizedInt8, stackedRows, transposed, weightFor } from './weights.js';

export interface InferenceGraphOptions {
  /** int8 weights for every Linear layer (DynamicQuantizeLinear + MatMulInteger). */
  quantize?: 'int8';
}

/** float32's lowest value: masked scores (HF uses finfo.min too, so fully masked rows stay finite). */
const MASKED_SCORE = -3.4028234663852886e38;

class LlamaGraphWriter {
  readonly b = new OnnxGraphBuilder('llama_decoder');
  private readonly H: number;
  private readonly KV: number;
  private readonly hd: number;
  private readonly d: number;

  constructor(
    private readonly config: LlamaConfig,
    private readonly weights: Map<string, Float32Array>,
    private readonly options: InferenceGraphOptions,
  ) {
    this.H = config.num_attention_heads;
    this.KV = config.num_key_value_heads;
    this.hd = config.head_dim;
    this.d = config.hidden_size;
  }

  private readonly constants = new Map<string, string>();

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

  /** x [.., in] × W^T where `hfWeight` is HF's [out, in] matrix (already stacked/scaled as needed). */
  linear(x: string, name: string, hfWeight: Float32Array, outFeatures: number, inFeatures: number, output?: string): string {
    const w = transposed(hfWeight, outFeatures, inFeatures); // (in, out)
    if (this.options.quantize !== 'int8') return this.b.op('MatMul', [x, this.b.initializer(name, tensor('float32', [inFeatures, outFeatures], w))], {}, output);
    const q = quantizedInt8(w, inFeatures, outFeatures);
    const wq = this.b.initializer(`${name}_quantized`, tensor('int8', [inFeatures, outFeatures], q.values));
    const ws = this.b.initializer(`${name}_scale`, tensor('float32', [outFeatures], q.scales));
    // The exact chain ORT's DynamicQuantizeMatMulFusion turns into one fused kernel at load.
    const [xq, xs, xzp] = this.b.node('DynamicQuantizeLinear', [x], {}, 3);
    const acc = this.b.op('MatMulInteger', [xq, wq, xzp]);
    const accF = this.b.op('Cast', [acc], { to: 1 });
    return this.b.op('Mul', [accF, this.b.op('Mul', [xs, ws])], {}, output);
  }

  rmsNorm(x: string, weightName: string): string {
    const w = this.b.initializer(weightName, tensor('float32', [this.d], this.weight(weightName)));
    const squared = this.b.op('Pow', [x, this.f32('two', 2)]);
    const mean = this.b.op('ReduceMean', [squared, this.i64('last_axis', [-1])], { keepdims: 1 });
    const rms = this.b.op('Sqrt', [this.b.op('Add', [mean, this.f32('rms_eps', this.config.rms_norm_eps)])]);
    return this.b.op('Mul', [this.b.op('Div', [x, rms]), w]);
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

  /** cos and sign-folded sin [B, S, 1, hd] from position_ids, in float32 like HF's LlamaRotaryEmbedding. */
  ropeTables(positionIds: string): { cos: string; sinSigned: string } {
    const inv = this.b.constant('rope_inv_freq', tensor('float32', [this.hd / 2], ropeInverseFrequencies(this.config)));
    const pos = this.b.op('Unsqueeze', [this.b.op('Cast', [positionIds], { to: 1 }), this.i64('axes23', [2, 3])]); // (B, S, 1, 1)
    const freqs = this.b.op('Mul', [pos, inv]); // (B, S, 1, hd/2)
    const cosHalf = this.b.op('Cos', [freqs]);
    const sinHalf = this.b.op('Sin', [freqs]);
    return {
      cos: this.b.op('Concat', [cosHalf, cosHalf], { axis: -1 }), // (B, S, 1, hd)
      sinSigned: this.b.op('Concat', [this.b.op('Neg', [sinHalf]), sinHalf], { axis: -1 }),
    };
  }

  /**
   * Boolean "may attend" mask [B, 1, G*S, T]: causal over absolute positions (queries sit at
   * past..T-1) and the caller's attention_mask (padding). Rows repeat per query group because
   * attention runs on q reshaped to [B, KV, G*S, hd].
   */
  attentionMask(inputIds: string, attentionMask: string): string {
    const zero = this.b.constant('zero_index', tensor('int64', [], BigInt64Array.of(0n)));
    const one = this.b.constant('one_index', tensor('int64', [], BigInt64Array.of(1n)));
    const total = this.b.op('Gather', [this.b.op('Shape', [attentionMask]), one]);
    const seq = this.b.op('Gather', [this.b.op('Shape', [inputIds]), one]);
    const past = this.b.op('Sub', [total, seq]);
    const keyIdx = this.b.op('Range', [zero, total, one]); // (T)
    const queryIdx = this.b.op('Unsqueeze', [this.b.op('Range', [past, total, one]), this.i64('axis1', [1])]); // (S, 1)
    const causal = this.b.op('LessOrEqual', [keyIdx, queryIdx]); // (S, T)
    const padding = this.b.op('Unsqueeze', [this.b.op('Cast', [attentionMask], { to: 9 }), this.i64('axes12', [1, 2])]); // (B, 1, 1, T)
    const allowed = this.b.op('And', [causal, padding]); // (B, 1, S, T)
    return this.b.op('Tile', [allowed, this.i64('group_repeats', [1, 1, this.H / this.KV, 1])]); // (B, 1, G*S, T)
  }

  attention(layer: number, x: string, cos: string, sinSigned: string, mask: string): string {
    const { H, KV, hd, d } = this;
    const p = `model.layers.${layer}.self_attn`;
    const qScale = 1 / Math.sqrt(hd);
    const qkv = stackedRows([this.weight(`${p}.q_proj.weight`).map((v) => v * qScale), this.weight(`${p}.k_proj.weight`), this.weight(`${p}.v_proj.weight`)]);
    const fused = this.linear(x, `${p}.qkv_proj.weight`, qkv, (H + 2 * KV) * hd, d); // (B, S, (H+2KV)*hd)
    const perHead = this.b.op('Reshape', [fused, this.i64('qkv_heads', [0, 0, H + 2 * KV, hd])]); // (B, S, H+2KV, hd)
    const [qk, v] = this.b.node('Split', [perHead, this.i64('qk_v_heads', [H + KV, KV])], { axis: 2 }, 2);
    const [q, k] = this.b.node('Split', [this.rope(qk, cos, sinSigned), this.i64('q_k_heads', [H, KV])], { axis: 2 }, 2);
    const headsFirst = (t: string, output?: string) => this.b.op('Transpose', [t], { perm: [0, 2, 1, 3] }, output); // (B, heads, S, hd)
    const qRot = headsFirst(q);
    const kRot = headsFirst(k, `new_key_values.${layer}.key`);
    const presentKey = this.b.op('Concat', [`past_key_values.${layer}.key`, kRot], { axis: 2 }, `present.${layer}.key`); // (B, KV, T, hd)
    const presentValue = this.b.op('Concat', [`past_key_values.${layer}.value`, headsFirst(v, `new_key_values.${layer}.value`)], { axis: 2 }, `present.${layer}.value`);
    const qGrouped = this.b.op('Reshape', [qRot, this.i64('q_grouped', [0, KV, -1, hd])]); // (B, KV, G*S, hd)
    const scores = this.b.op('MatMul', [qGrouped, this.b.op('Transpose', [presentKey], { perm: [0, 1, 3, 2] })]); // (B, KV, G*S, T)
    const masked = this.b.op('Where', [mask, scores, this.f32('masked_score', MASKED_SCORE)]);
    const context = this.b.op('MatMul', [this.b.op('Softmax', [masked], { axis: -1 }), presentValue]); // (B, KV, G*S, hd)
    const contextPerHead = this.b.op('Transpose', [this.b.op('Reshape', [context, this.i64('heads_ungrouped', [0, H, -1, hd])])], { perm: [0, 2, 1, 3] }); // (B, S, H, hd)
    const merged = this.b.op('Reshape', [contextPerHead, this.i64('merged_heads', [0, 0, H * hd])]);
    return this.linear(merged, `${p}.o_proj.weight`, this.weight(`${p}.o_proj.weight`), d, H * hd);
  }

  mlp(layer: number, x: string): string {
    const { d } = this;
    const f = this.config.intermediate_size;
    const p = `model.layers.${layer}.mlp`;
    const gateUp = this.linear(x, `${p}.gate_up_proj.weight`, stackedRows([this.weight(`${p}.gate_proj.weight`), this.weight(`${p}.up_proj.weight`)]), 2 * f, d);
    const [gate, up] = this.b.node('Split', [gateUp, this.i64('gate_up_sizes', [f, f])], { axis: -1 }, 2);
    const silu = this.b.op('Mul', [gate, this.b.op('Sigmoid', [gate])]);
    return this.linear(this.b.op('Mul', [silu, up]), `${p}.down_proj.weight`, this.weight(`${p}.down_proj.weight`), d, f);
  }

  lmHead(x: string): string {
    const { d } = this;
    const V = this.config.vocab_size;
    if (!this.config.tie_word_embeddings || this.options.quantize === 'int8') {
      const name = this.config.tie_word_embeddings ? 'model.embed_tokens.weight' : 'lm_head.weight';
      return this.linear(x, 'lm_head.weight', this.weight(name), V, d, 'logits');
    }
    // Tied fp32: reuse the embedding initializer through Gemm(transB) instead of storing a transposed copy.
    const rows = this.b.op('Reshape', [x, this.i64('rows', [-1, d])]);
    const logits = this.b.op('Gemm', [rows, 'model.embed_tokens.weight'], { transB: 1 });
    const outShape = this.b.op('Concat', [this.b.op('Slice', [this.b.op('Shape', [x]), this.i64('s0', [0]), this.i64('s2', [2])]), this.i64('vocab', [V])], { axis: 0 });
    return this.b.op('Reshape', [logits, outShape], {}, 'logits');
  }

  build(): Uint8Array {
    const { b, config, KV, hd } = this;
    const inputIds = b.input('input_ids', 'int64', ['batch_size', 'sequence_length']);
    const attentionMask = b.input('attention_mask', 'int64', ['batch_size', 'total_sequence_length']);
    const positionIds = b.input('position_ids', 'int64', ['batch_size', 'sequence_length']);
    for (let i = 0; i < config.num_hidden_layers; i++) {
      for (const kind of ['key', 'value']) b.input(`past_key_values.${i}.${kind}`, 'float32', ['batch_size', KV, 'past_sequence_length', hd]);
    }
    const keep = b.input('num_logits_to_keep', 'int64', []);
    const embed = b.initializer('model.embed_tokens.weight', tensor('float32', [config.vocab_size, this.d], this.weight('model.embed_tokens.weight')));

    let h = b.op('Gather', [embed, inputIds]); // (B, S, d)
    const { cos, sinSigned } = this.ropeTables(positionIds);
    const mask = this.attentionMask(inputIds, attentionMask);
    for (let i = 0; i < config.num_hidden_layers; i++) {
      h = b.op('Add', [h, this.attention(i, this.rmsNorm(h, `model.layers.${i}.input_layernorm.weight`), cos, sinSigned, mask)]);
      h = b.op('Add', [h, this.mlp(i, this.rmsNorm(h, `model.layers.${i}.post_attention_layernorm.weight`))]);
    }
    // Keep the last num_logits_to_keep positions (Slice from -0 = 0 keeps them all).
    const start = b.op('Unsqueeze', [b.op('Neg', [keep]), this.i64('axis0', [0])]);
    const kept = b.op('Slice', [h, start, this.i64('to_end', [Number.MAX_SAFE_INTEGER]), this.i64('axis1', [1])]);
    this.lmHead(this.rmsNorm(kept, 'model.norm.weight'));

    b.output('logits', 'float32', ['batch_size', 'logits_length', config.vocab_size]);
    for (let i = 0; i < config.num_hidden_layers; i++) {
      for (const kind of ['key', 'value']) b.output(`present.${i}.${kind}`, 'float32', ['batch_size', KV, 'total_sequence_length', hd]);
    }
    // This step's rows of the cache alone: our generator appends them to its own buffers
    // instead of fetching the whole present (see src/inference/ort.ts). Other runtimes ignore them.
    for (let i = 0; i < config.num_hidden_layers; i++) {
      for (const kind of ['key', 'value']) b.output(`new_key_values.${i}.${kind}`, 'float32', ['batch_size', KV, 'sequence_length', hd]);
    }
    return b.toBytes(undefined, inferenceGraphFormat(this.options));
  }
}

/**
 * ModelProto.producer_version of the graphs this exporter writes. Bump the number whenever a
 * change makes earlier exports worth replacing (2: new_key_values outputs); model folders'
 * onnx/model.onnx files with an older tag are re-exported when next loaded (onnx/folder.ts).
 */
export const INFERENCE_GRAPH_FORMAT = 2;

export function inferenceGraphFormat(options: InferenceGraphOptions): string {
  return `llama-decoder/${INFERENCE_GRAPH_FORMAT}${options.quantize ? `+${options.quantize}` : ''}`;
}

export function buildLlamaInferenceGraph(config: LlamaConfig, weights: Map<string, Float32Array>, options: InferenceGraphOptions = {}): Uint8Array {
  return new LlamaGraphWriter(config, weights, options).build();
}
