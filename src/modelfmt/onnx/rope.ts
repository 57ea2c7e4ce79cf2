/**
 * RoPE inverse frequencies exactly as Hugging Face computes them (float32), including the
 * `linear` and `llama3` rope_scaling variants used by downloaded Llama 3.x folders.
 * The graph multiplies these by position_ids at run time, so no position table limits length.
 */
import { PersonaError } from '../../errors.js';
import type { LlamaConfig } from '../config.js';

const SUPPORTED_SCALING = ['default', 'linear', 'llama3'];

export function ropeInverseFrequencies(config: LlamaConfig): Float32Array {
  const dim = config.head_dim;
  const base = Math.fround(config.rope_theta);
  const inv = new Float32Array(dim / 2);
  for (let i = 0; i < dim / 2; i++) inv[i] = 1 / Math.pow(base, (2 * i) / dim);
  const scaling = config.rope_scaling as Record<string, unknown> | null | undefined;
  if (!scaling) return inv;
  const type = String(scaling.rope_type ?? scaling.type ?? 'default');
  if (!SUPPORTED_SCALING.includes(type)) {
    throw new PersonaError('model_unsupported', `config.json: rope_scaling type "${type}" is not supported (supported: ${SUPPORTED_SCALING.join(', ')}).`, {
      field: 'rope_scaling',
    });
  }
  if (type === 'linear') return inv.map((f) => f / Number(scaling.factor ?? 1));
  if (type === 'llama3') return llama3Scaled(inv, scaling);
  return inv;
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
