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
}

export function ropeTables(g: Graph, config: LlamaConfig, seqLen: number): RopeTables {
  if (config.rope_scaling !== undefined && config.rope_scaling !== null) {
    throw new PersonaError('model_unsupported', 'config.json: field "rope_scaling" is set; only plain rotary embeddings are supported for training.', { field: 'rope_scaling' });
  }
  if (seqLen > config.max_position_embeddings) {
    throw new PersonaError('invalid_argument', `seqLen ${seqLen} exceeds max_position_embeddings ${config.max_position_embeddings} of the model.`, { field: 'seqLen' });
  }
  const hd = config.head_dim;
  if (hd % 2 !== 0) throw new PersonaError('model_unsupported', `config.json: field "head_dim" is ${hd}; rotary embeddings need an even head dimension.`, { field: 'head_dim' });
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
  const kv = config.num_key_value_heads;
  const groups = config.num_attention_heads / kv;
  // Repeats each position's hd values `heads` times, times `factor`.
  const repeated = (a: Float64Array, heads: number, factor: number) => {
    const out = new Float64Array(seqLen * heads * hd);
    for (let t = 0; t < seqLen; t++) for (let h = 0; h < heads; h++) for (let i = 0; i < hd; i++) out[(t * heads + h) * hd + i] = a[t * hd + i] * factor;
    return out;
  };
  return {
    cosQ: g.constant(repeated(cos, kv * groups, scale), [seqLen, kv, groups, 2, half]),
    sinQ: g.constant(repeated(sin, kv * groups, scale), [seqLen, kv, groups, 2, half]),
    cosK: g.constant(repeated(cos, kv, 1), [seqLen, kv, 2, half]),
    sinK: g.constant(repeated(sin, kv, 1), [seqLen, kv, 2, half]),
  };
}
