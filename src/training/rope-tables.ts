/**
 * Rotary position tables for the training graph in Hugging Face's convention, from a
 * layer's RopeSpec (src/modelfmt/arch/rope-frequencies.ts, shared with the inference graph): the angle
 * table repeated over both halves (cat(freqs, freqs)), and
 * rope(x) = x·cos + rotate_half(x)·sin with rotate_half(x) = cat(−x₂, x₁).
 * Viewing the head dimension as (2, hd/2), rotate_half is "swap the halves" (a reversed
 * slice of that axis of size 2) times a sin table whose first half is negated — two
 * multiplies and a slice, and the same three in the backward.
 * The query tables also carry attention's scale, so the scores need no multiply.
 */
import { PersonaError } from '../errors.js';
import { dynamicInverseFrequencies, type RopeSpec } from '../modelfmt/arch/rope-frequencies.js';
import type { ModelSpec } from '../modelfmt/arch/spec.js';
import type { Graph, Tensor } from './graph/ir.js';

/**
 * Tables are stored repeated over the heads, (T, KV, G, 2, hd/2) for queries and
 * (T, KV, 2, hd/2) for keys, so the multiplies broadcast only over the batch: ONNX
 * Runtime's elementwise kernels are several times slower on broadcasts with short inner
 * spans (the profile showed the head-broadcast version at ~10 ms per 1M-element multiply).
 */
export interface RopeTables {
  cosQ: Tensor;
  sinQ: Tensor;
  cosK: Tensor;
  sinK: Tensor;
  /**
   * The same angles as ONNX Runtime's RotaryEmbedding caches, (T, hd/2) each, sin not
   * negated, the query's pair times the attention scale (float32 graphs use these: one
   * kernel per rotation instead of a reversed slice, two multiplies and an add).
   */
  cache: { positions: Tensor; cosQ: Tensor; sinQ: Tensor; cosK: Tensor; sinK: Tensor };
}

export function ropeTables(g: Graph, spec: ModelSpec, rope: RopeSpec, seqLen: number, batchSize = 1): RopeTables {
  if (seqLen > spec.config.max_position_embeddings) {
    throw new PersonaError('invalid_argument', `seqLen ${seqLen} exceeds max_position_embeddings ${spec.config.max_position_embeddings} of the model.`, {
      field: 'seqLen',
    });
  }
  const hd = spec.headDim;
  const half = hd / 2;
  const inv = dynamicInverseFrequencies(rope, seqLen);
  const cos = new Float64Array(seqLen * hd);
  const sin = new Float64Array(seqLen * hd);
  for (let t = 0; t < seqLen; t++) {
    for (let i = 0; i < half; i++) {
      // float32 angle, as HF's inv_freq @ position_ids in float32.
      const angle = Math.fround(t * inv[i]);
      for (const h of [0, 1]) {
        cos[t * hd + h * half + i] = Math.cos(angle);
        sin[t * hd + h * half + i] = (h === 0 ? -1 : 1) * Math.sin(angle);
      }
    }
  }
  const kv = spec.kvHeads;
  const groups = spec.heads / kv;
  // Repeats each position's hd values `heads` times, times `factor`.
  const repeated = (a: Float64Array, heads: number, factor: number) => {
    const out = new Float64Array(seqLen * heads * hd);
    for (let t = 0; t < seqLen; t++) for (let h = 0; h < heads; h++) for (let i = 0; i < hd; i++) out[(t * heads + h) * hd + i] = a[t * hd + i] * factor;
    return out;
  };
  // Unused tables cost nothing: only the constants a graph reads are emitted.
  // The second half of each position's row holds cos and the unnegated sin.
  const compact = (a: Float64Array, factor: number) =>
    g.constant(
      Array.from({ length: seqLen * half }, (_, j) => a[Math.floor(j / half) * hd + half + (j % half)] * factor),
      [seqLen, half],
    );
  const cache = {
    positions: g.constant(
      Array.from({ length: batchSize * seqLen }, (_, j) => j % seqLen),
      [batchSize, seqLen],
      'int64',
    ),
    cosQ: compact(cos, spec.attnScale),
    sinQ: compact(sin, spec.attnScale),
    cosK: compact(cos, 1),
    sinK: compact(sin, 1),
  };
  return {
    cache,
    cosQ: g.constant(repeated(cos, kv * groups, spec.attnScale), [seqLen, kv, groups, 2, half]),
    sinQ: g.constant(repeated(sin, kv * groups, spec.attnScale), [seqLen, kv, groups, 2, half]),
    cosK: g.constant(repeated(cos, kv, 1), [seqLen, kv, 2, half]),
    sinK: g.constant(repeated(sin, kv, 1), [seqLen, kv, 2, half]),
  };
}
