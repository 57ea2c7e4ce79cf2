/**
 * Grouped-query causal self-attention over rotated heads, computed in query blocks so the
 * masked upper triangle of the score matrix is mostly skipped: with b blocks, block j's
 * queries only see keys [0, (j+1)·T/b), so scores, softmax and their backward cover
 * (b+1)/2b of T² instead of all of it (62.5% at b = 4). The query heads of each kv group
 * are stacked on rows, so GQA needs no repeat of K and V (HF's repeat_kv: query head i
 * uses kv head ⌊i / G⌋). A layer with a sliding window (Mistral, Qwen2, Gemma 3) also masks
 * keys more than `window` positions back (HF's sliding_window_overlay); soft-capped scores
 * (Gemma 3 when configured) take the generic autodiff path instead of the fused backward.
 */
import * as T from './graph/api.js';
import { causalAttention, softcap } from './graph/fused.js';
import type { Graph, Tensor } from './graph/ir.js';

/** Query blocks for a sequence length: blocks of at least 64 positions, at most 4. */
export function attentionBlocks(seqLen: number): number {
  for (const b of [4, 2]) if (seqLen % b === 0 && seqLen / b >= 64) return b;
  return 1;
}

export interface AttentionOptions {
  blocks: number;
  /** Keys k with q − window < k ≤ q are seen (undefined: all earlier keys). */
  window?: number;
  /** c·tanh(scores / c) before the mask. */
  softcap?: number;
}

/**
 * q (B, T, KV, G, hd) rotated and scaled, k (B, T, KV, hd) rotated, v (B, T, KV, hd)
 * → (B·T, KV·G·hd), heads in HF order.
 */
export function groupedCausalAttention(q: Tensor, k: Tensor, v: Tensor, attention: AttentionOptions | number): Tensor {
  const options = typeof attention === 'number' ? { blocks: attention } : attention;
  const { blocks } = options;
  const [B, Tn, KV, G, hd] = q.shape;
  const tb = Tn / blocks;
  const qt = T.transpose(q, [0, 2, 3, 1, 4]); // (B, KV, G, T, hd)
  const kT = T.transpose(k, [0, 2, 3, 1]); // (B, KV, hd, T)
  const vh = T.transpose(v, [0, 2, 1, 3]); // (B, KV, T, hd)
  // Split (not Slice): its gradient is one Concat rather than a zero-padded copy per block.
  const qBlocks =
    blocks === 1
      ? [qt]
      : T.split(
          qt,
          3,
          Array.from({ length: blocks }, () => tb),
        );
  const outs: Tensor[] = [];
  for (let j = 0; j < blocks; j++) {
    const [start, end] = [j * tb, (j + 1) * tb];
    const qj = T.reshape(qBlocks[j], [B, KV, G * tb, hd]);
    const kj = end === Tn ? kT : T.slice(kT, [3], [0], [end]);
    const vj = end === Tn ? vh : T.slice(vh, [2], [0], [end]);
    const mask = blockMask(q.graph, G, tb, start, end, options.window);
    const o =
      options.softcap === undefined ? causalAttention(qj, kj, vj, mask) : T.matmul(T.softmax(T.add(softcap(T.matmul(qj, kj), options.softcap), mask)), vj);
    outs.push(T.reshape(o, [B, KV, G, tb, hd]));
  }
  const o = blocks === 1 ? outs[0] : T.concat(outs, 3); // (B, KV, G, T, hd)
  return T.reshape(T.transpose(o, [0, 3, 1, 2, 4]), [B * Tn, KV * G * hd]);
}

/** Masks already made, per graph: every layer (and a checkpointed layer's recompute) reads the same constants. */
const masks = new WeakMap<Graph, Map<string, Tensor>>();

/** Additive mask (G·tb, end): row (g, t) is query position start + t; keys after it, or `window` or more before it, get −1e9. */
function blockMask(g: Graph, groups: number, tb: number, start: number, end: number, window = Infinity): Tensor {
  const key = [groups, tb, start, end, window].join(',');
  let byKey = masks.get(g);
  if (!byKey) masks.set(g, (byKey = new Map()));
  let mask = byKey.get(key);
  if (!mask) byKey.set(key, (mask = newBlockMask(g, groups, tb, start, end, window)));
  return mask;
}

function newBlockMask(g: Graph, groups: number, tb: number, start: number, end: number, window: number): Tensor {
  const data = new Float32Array(groups * tb * end);
  for (let r = 0; r < groups * tb; r++) {
    const query = start + (r % tb);
    for (let c = 0; c < end; c++) if (c > query || query - c >= window) data[r * end + c] = -1e9;
  }
  return g.constant(data, [groups * tb, end]);
}
