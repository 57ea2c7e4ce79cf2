/**
 * Rotary embedding frequencies exactly as Hugging Face's modeling_rope_utils computes them
 * (float32): default, `linear`, `llama3` (Llama 3.x folders) and `dynamic` (NTK-aware, which
 * grows the base once a forward pass reaches past max_position_embeddings). Both graph
 * backends take a layer's RopeSpec from here, so training and serving rotate identically.
 */
import type { LlamaConfig } from '../hf-config.js';

export const ROPE_SCALING_TYPES = ['default', 'linear', 'llama3', 'dynamic'] as const;

export interface RopeSpec {
  /** Identifies equal tables, so a graph computes each distinct rotation once. */
  key: string;
  /** inv_freq [head_dim / 2] for positions up to max_position_embeddings. */
  invFreq: Float32Array;
  /**
   * `dynamic` scaling: past maxPositions, HF recomputes inv_freq from base
   * θ·((factor·L / maxPositions) − (factor − 1))^(dim / (dim − 2)) with L = max(position) + 1.
   */
  dynamic?: { theta: number; factor: number; maxPositions: number; dim: number };
}

/** inv_freq_i = 1 / θ^(2i / dim). */
export function defaultInverseFrequencies(theta: number, dim: number): Float32Array {
  return Float32Array.from({ length: dim / 2 }, (_, i) => 1 / theta ** ((2 * i) / dim));
}

/** The rotation of a layer with base `theta`; `scaling` is config.json's rope_scaling (null for none). */
export function ropeSpec(config: LlamaConfig, theta: number, scaling: Record<string, unknown> | null | undefined): RopeSpec {
  const dim = config.head_dim;
  const inv = defaultInverseFrequencies(theta, dim);
  const type = scaling ? String(scaling.rope_type ?? scaling.type ?? 'default') : 'default';
  const factor = Number(scaling?.factor ?? 1);
  const key = `${type}:${theta}:${scaling ? JSON.stringify(scaling) : ''}`;
  if (type === 'linear') return { key, invFreq: inv.map((f) => f / factor) };
  if (type === 'llama3') return { key, invFreq: llama3Scaled(inv, scaling!) };
  if (type === 'dynamic') return { key, invFreq: inv, dynamic: { theta, factor, maxPositions: config.max_position_embeddings, dim } };
  return { key, invFreq: inv };
}

/** HF `_compute_dynamic_ntk_parameters` for a forward pass whose largest position is seqLen − 1. */
export function dynamicInverseFrequencies(rope: RopeSpec, seqLen: number): Float32Array {
  if (!rope.dynamic || seqLen <= rope.dynamic.maxPositions) return rope.invFreq;
  const { theta, factor, maxPositions, dim } = rope.dynamic;
  const base = theta * ((factor * seqLen) / maxPositions - (factor - 1)) ** (dim / (dim - 2));
  return defaultInverseFrequencies(base, dim);
}

/** transformers' `_compute_llama3_parameters`: long wavelengths slowed down, short kept, smooth in between. */
function llama3Scaled(inv: Float32Array, scaling: Record<string, unknown>): Float32Array {
  const factor = Number(scaling.factor ?? 8);
  const low = Number(scaling.low_freq_factor ?? 1);
  const high = Number(scaling.high_freq_factor ?? 4);
  const original = Number(scaling.original_max_position_embeddings ?? 8192);
  const lowWavelen = original / low;
  const highWavelen = original / high;
  return inv.map((f) => {
    const wavelen = (2 * Math.PI) / f;
    if (wavelen < highWavelen) return f;
    if (wavelen > lowWavelen) return f / factor;
    const smooth = (original / wavelen - low) / (high - low);
    return (1 - smooth) * (f / factor) + smooth * f;
  });
}
