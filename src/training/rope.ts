/**
 * Rotary position tables in Hugging Face's convention: inv_freq_i = θ^(−2i/hd), the
 * angle table repeated over both halves (cat(freqs, freqs)), and
 * rope(x) = x·cos + rotate_half(x)·sin with rotate_half(x) = cat(−x₂, x₁).
 * Viewing the head dimension as (2, hd/2), rotate_half is "swap the halves" (a reversed
 * slice of that axis of size 2) times a sin table whose first half is negated — two
 * multiplies and a slice, and the same three in the backward.
 * The query tables also carry attention's 1/√hd scale, so the scores need no multiply.
 */
import { PersonaError } from '../errors.js';
import type { LlamaConfig } from '../modelfmt/config.js';
import type { Graph, Tensor } from './graph/ir.js';

export interface RopeTables {
  /** (T, 1, 1, 2, hd/2): broadcast over (B, T, KV, G, 2, hd/2) queries. */
  cosQ: Tensor;
  sinQ: Tensor;
  /** (T, 1, 2, hd/2): broadcast over (B, T, KV, 2, hd/2) keys. */
  cosK: Tensor;
  sinK: Tensor;
}

export function ropeTables(g: Graph, config: LlamaConfig, seqLen: number): RopeTables {
  if (config.rope_scaling !== undefined && config.rope_scaling !== null) {
    throw new PersonaError('model_unsupported', 'config.json: field "rope_scaling" is set; only plain rotary embeddings are supported for training.', { field: 'rope_scaling' });
  }
  if (seqLen > config.max_position_embeddings) {
    throw new PersonaError('invalid_argument', `seqLen ${seqLen} exceeds max_position_embeddings ${config.max_position_embeddings} of the model.`, { field: 'seqLen' });
  }
  const hd = config.head_dim;
  const half = hd / 2;
  const scale = 1 / Math.sqrt(hd);
  const cos = new Float64Array(seqLen * hd);
  const sin = new Float64Array(seqLen * hd);
  for (let t = 0; t < seqLen; t++) {
    for (let i = 0; i < half; i++) {
      const angle = t * Math.pow(config.rope_theta, (-2 * i) / hd);
      for (const h of [0, 1]) {
        cos[t * hd + h * half + i] = Math.cos(angle);
        sin[t * hd + h * half + i] = (h === 0 ? -1 : 1) * Math.sin(angle);
      }
    }
  }
  const scaled = (a: Float64Array) => a.map((v) => v * scale);
  return {
    cosQ: g.constant(scaled(cos), [seqLen, 1, 1, 2, half]),
    sinQ: g.constant(scaled(sin), [seqLen, 1, 1, 2, half]),
    cosK: g.constant(cos, [seqLen, 1, 2, half]),
    sinK: g.constant(sin, [seqLen, 1, 2, half]),
  };
}
