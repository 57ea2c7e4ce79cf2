/**
 * Attention in the inference graph: one com.microsoft GroupQueryAttention node per layer where
 * the family allows (usesGroupQueryAttention), else default-domain ops with a materialized
 * mask. Either way each layer's present.N.key|value is an output, and this step's new key and
 * value rows are collected (newRows) for the new_key_values output our generator fetches.
 */
import { float } from './onnx-builder.js';
import type { LayerSpec, ModelSpec } from '../arch/spec.js';
import type { GraphContext } from './graph-context.js';
import type { InferenceGraphOptions } from './graph-format.js';
import { RopeGraph } from './rope-graph.js';

/** float32's lowest value: masked scores (HF uses finfo.min too, so fully masked rows stay finite). */
const MASKED_SCORE = -3.4028234663852886e38;

/**
 * GroupQueryAttention unless asked for standard attention or the family needs what its CPU
 * kernel does not do as Hugging Face does: measured, sliding-window layers (Mistral, Qwen2
 * with use_sliding_window, Gemma 3) disagreed with the reference, so they keep standard
 * attention, as does attention-logit softcapping (untested there).
 */
export function usesGroupQueryAttention(spec: ModelSpec, options: InferenceGraphOptions): boolean {
  return options.attention !== 'standard' && spec.attnSoftcap === undefined && spec.layers.every((l) => l.window === undefined || !Number.isFinite(l.window));
}

export class AttentionGraph {
  readonly usesGqa: boolean;
  /** Each layer's new key and value rows, in layer order (stacked into NEW_ROWS_OUTPUT). */
  readonly newRows: string[] = [];
  private readonly rope: RopeGraph;
  private readonly masks = new Map<number, string>();
  private cacheLengths?: { seqlensK: string; total: string };

  constructor(private readonly g: GraphContext) {
    this.usesGqa = usesGroupQueryAttention(g.spec, g.options);
    this.rope = new RopeGraph(g);
  }

  /** Whether q/k/v stay flat (B, S, heads*hd) through RoPE (one RotaryEmbedding node) into GroupQueryAttention: families without q/k norms. */
  flatHeads(layer: LayerSpec): boolean {
    return this.usesGqa && !layer.qNorm;
  }

  /** Context heads merged, (B, S, H*hd), from q and k heads together (qk) and v. */
  attention(layer: LayerSpec, qk: string, v: string): string {
    const { b, H, KV, hd } = this.g;
    const i64 = this.g.i64.bind(this.g);
    const i = layer.index;
    if (this.flatHeads(layer)) {
      const { positions, cos, sin } = this.rope.rotaryCache(layer.rope);
      const rotated = b.node('RotaryEmbedding', [qk, positions, cos, sin], { num_heads: H + KV }, 1, 'com.microsoft')[0];
      const [q, k] = b.node('Split', [rotated, i64('q_k_flat', [H * hd, KV * hd])], { axis: -1 }, 2);
      return this.groupQueryAttention(layer, q, k, v);
    }
    const [q, k] = b.node('Split', [this.rope.rope(qk, layer.rope), i64('q_k_heads', [H, KV])], { axis: 2 }, 2);
    if (this.usesGqa) {
      const flat = (t: string, heads: number) => b.op('Reshape', [t, i64(`flat_${heads}`, [0, 0, heads * hd])]);
      return this.groupQueryAttention(layer, flat(q, H), flat(k, KV), flat(v, KV));
    }
    const headsFirst = (t: string, output?: string) => b.op('Transpose', [t], { perm: [0, 2, 1, 3] }, output); // (B, heads, S, hd)
    const qRot = headsFirst(q);
    this.newRows.push(k, v); // (B, S, KV, hd)
    const presentKey = b.op('Concat', [`past_key_values.${i}.key`, headsFirst(k)], { axis: 2 }, `present.${i}.key`); // (B, KV, T, hd)
    const presentValue = b.op('Concat', [`past_key_values.${i}.value`, headsFirst(v)], { axis: 2 }, `present.${i}.value`);
    const qGrouped = b.op('Reshape', [qRot, i64('q_grouped', [0, KV, -1, hd])]); // (B, KV, G*S, hd)
    let scores = b.op('MatMul', [qGrouped, b.op('Transpose', [presentKey], { perm: [0, 1, 3, 2] })]); // (B, KV, G*S, T)
    if (this.g.spec.attnSoftcap !== undefined) scores = this.g.softcap(scores, this.g.spec.attnSoftcap);
    const masked = b.op('Where', [this.attentionMask(layer.window), scores, this.g.f32('masked_score', MASKED_SCORE)]);
    const context = b.op('MatMul', [b.op('Softmax', [masked], { axis: -1 }), presentValue]); // (B, KV, G*S, hd)
    const contextPerHead = b.op('Transpose', [b.op('Reshape', [context, i64('heads_ungrouped', [0, H, -1, hd])])], { perm: [0, 2, 1, 3] }); // (B, S, H, hd)
    return b.op('Reshape', [contextPerHead, i64('merged_heads', [0, 0, H * hd])]);
  }

  /**
   * GroupQueryAttention's view of attention_mask: seqlens_k = (attended tokens − 1) as int32 [B]
   * and total_sequence_length = the mask's length as an int32 scalar. Valid rows must be
   * contiguous from position 0 (no left padding), as in every batch-1 generation.
   */
  private gqaLengths(): { seqlensK: string; total: string } {
    if (this.cacheLengths) return this.cacheLengths;
    const { b, attentionMask } = this.g;
    const one = this.g.i64('one_index', [1], []);
    const attended = b.op('ReduceSum', [attentionMask, this.g.i64('axis1', [1])], { keepdims: 0 });
    const seqlensK = b.op('Cast', [b.op('Sub', [attended, one])], { to: 6 });
    const length = b.op('Gather', [b.op('Shape', [attentionMask]), one]);
    this.cacheLengths = { seqlensK, total: b.op('Cast', [length], { to: 6 }) };
    return this.cacheLengths;
  }

  /**
   * One com.microsoft GroupQueryAttention node per layer: causal attention over past + new rows
   * without a materialized mask, transposes or a separate softmax, the cache concatenated
   * inside the kernel (about 10 fewer nodes per layer: ONNX Runtime spends microseconds per
   * node, which at small models is a large share of a decode step). q/k arrive rotated (by
   * RotaryEmbedding, or the rope ops when q/k are normed per head); the attention scale is
   * already in q's weights, so scale = 1. Binding present.* to the past buffers would let the
   * kernel write in place, but onnxruntime-node copies every fetched output into a new buffer,
   * which costs more than the kernel's own copy (measured: docs/benchmarks.md); so this step's
   * rows go out in new_key_values.
   */
  private groupQueryAttention(layer: LayerSpec, q: string, k: string, v: string): string {
    const { b, H, KV } = this.g;
    const i = layer.index;
    // q (B, S, H*hd), k and v (B, S, KV*hd), k rotated.
    this.newRows.push(k, v);
    const { seqlensK, total } = this.gqaLengths();
    const [context] = b.node(
      'GroupQueryAttention',
      [q, k, v, `past_key_values.${i}.key`, `past_key_values.${i}.value`, seqlensK, total],
      { num_heads: H, kv_num_heads: KV, scale: float(1) },
      [b.fresh(`attention_${i}`), `present.${i}.key`, `present.${i}.value`],
      'com.microsoft',
    );
    return context; // (B, S, H*hd)
  }

  /**
   * Boolean "may attend" mask [B, 1, G*S, T]: causal over absolute positions (queries sit at
   * past..T-1), within `window` attended tokens back for sliding layers, and the caller's
   * attention_mask (padding). Rows repeat per query group because attention runs on q
   * reshaped to [B, KV, G*S, hd]. One per distinct window.
   */
  private attentionMask(window = Infinity): string {
    const found = this.masks.get(window);
    if (found) return found;
    const { b, attentionMask, inputIds } = this.g;
    const i64 = this.g.i64.bind(this.g);
    const zero = i64('zero_index', [0], []);
    const one = i64('one_index', [1], []);
    const total = b.op('Gather', [b.op('Shape', [attentionMask]), one]);
    const seq = b.op('Gather', [b.op('Shape', [inputIds]), one]);
    const past = b.op('Sub', [total, seq]);
    const keyIdx = b.op('Range', [zero, total, one]); // (T)
    const queryIdx = b.op('Unsqueeze', [b.op('Range', [past, total, one]), i64('axis1', [1])]); // (S, 1)
    const causal = b.op('LessOrEqual', [keyIdx, queryIdx]); // (S, T)
    const padding = b.op('Unsqueeze', [b.op('Cast', [attentionMask], { to: 9 }), i64('axes12', [1, 2])]); // (B, 1, 1, T)
    let allowed = b.op('And', [causal, padding]); // (B, 1, S, T)
    if (Number.isFinite(window)) {
      // Distances count attended tokens only (the cumulative sum of attention_mask), so spare
      // or padded cache rows between the past and this step's keys do not shrink the window.
      const index = b.op('Sub', [b.op('CumSum', [attentionMask, i64('axis1_scalar', [1], [])]), one]); // (B, T)
      const keyPos = b.op('Unsqueeze', [index, i64('axes12', [1, 2])]); // (B, 1, 1, T)
      const queryPos = b.op('Unsqueeze', [
        b.op('Slice', [index, b.op('Unsqueeze', [b.op('Neg', [seq]), i64('axis0', [0])]), i64('to_end', [Number.MAX_SAFE_INTEGER]), i64('axis1', [1])]),
        i64('axes13', [1, 3]),
      ]); // (B, 1, S, 1)
      const recent = b.op('Less', [b.op('Sub', [queryPos, keyPos]), i64(`window_${window}`, [window], [])]);
      allowed = b.op('And', [allowed, recent]);
    }
    const mask = b.op('Tile', [allowed, i64('group_repeats', [1, 1, this.g.H / this.g.KV, 1])]); // (B, 1, G*S, T)
    this.masks.set(window, mask);
    return mask;
  }
}
