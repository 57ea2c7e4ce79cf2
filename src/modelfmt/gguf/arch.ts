/**
 * What llama.cpp's converter (convert_hf_to_gguf.py with gguf-py's constants) writes per
 * Hugging Face architecture: the GGUF architecture name, the `<arch>.*` hyperparameter keys,
 * tensor names, and per-architecture weight edits (Llama's Q/K row permutation, Gemma's
 * norm shift). Adding an architecture is one entry in ARCHITECTURES.
 */
import { PersonaError } from '../../errors.js';
import type { LlamaConfig } from '../hf-config.js';
import { defaultInverseFrequencies, ropeSpec } from '../arch/rope-frequencies.js';
import { f32, u32, type GgufValue } from './writer.js';

export interface GgufArchitecture {
  /** llama.cpp's architecture name (`general.architecture`, prefix of the hyperparameter keys). */
  name: string;
  /**
   * llama.cpp's LLAMA rope rotates adjacent pairs while HF Llama rotates halves, so the
   * converter permutes q_proj/k_proj rows per head (LlamaModel.permute); NEOX-rope
   * architectures (qwen2, qwen3, gemma3) keep HF's layout.
   */
  permuteQK: boolean;
  /** HF layer-tensor suffixes that differ from the common map below. */
  layerTensors?: Record<string, string>;
  /** Added to every norm weight: Gemma's RMSNorm scales by (1 + w), llama.cpp's by w. */
  normShift?: number;
  /** Hyperparameters beyond the common set. */
  extraMetadata?: (config: LlamaConfig) => [string, GgufValue][];
  /** The converter writes `<arch>.vocab_size` and `<arch>.rope.dimension_count` for Llama. */
  writesVocabAndRopeDims?: boolean;
}

const llama: GgufArchitecture = { name: 'llama', permuteQK: true, writesVocabAndRopeDims: true };

const ARCHITECTURES: Record<string, GgufArchitecture> = {
  llama,
  mistral: llama, // llama.cpp runs Mistral (v0.1-v0.3 shapes) as llama
  qwen2: { name: 'qwen2', permuteQK: false },
  qwen3: { name: 'qwen3', permuteQK: false },
  gemma3_text: {
    name: 'gemma3',
    permuteQK: false,
    normShift: 1,
    layerTensors: {
      'post_attention_layernorm.weight': 'post_attention_norm.weight',
      'pre_feedforward_layernorm.weight': 'ffn_norm.weight',
      'post_feedforward_layernorm.weight': 'post_ffw_norm.weight',
    },
    extraMetadata: (config) => {
      const raw = config as Record<string, unknown>;
      const out: [string, GgufValue][] = [];
      if (typeof raw.final_logit_softcapping === 'number') out.push(['gemma3.final_logit_softcapping', f32(raw.final_logit_softcapping)]);
      if (raw.sliding_window_pattern !== 1 && typeof raw.sliding_window === 'number') out.push(['gemma3.attention.sliding_window', u32(raw.sliding_window)]);
      return out;
    },
  },
};

const COMMON_LAYER_TENSORS: Record<string, string> = {
  'input_layernorm.weight': 'attn_norm.weight',
  'self_attn.q_proj.weight': 'attn_q.weight',
  'self_attn.q_proj.bias': 'attn_q.bias',
  'self_attn.k_proj.weight': 'attn_k.weight',
  'self_attn.k_proj.bias': 'attn_k.bias',
  'self_attn.v_proj.weight': 'attn_v.weight',
  'self_attn.v_proj.bias': 'attn_v.bias',
  'self_attn.o_proj.weight': 'attn_output.weight',
  'self_attn.o_proj.bias': 'attn_output.bias',
  'self_attn.q_norm.weight': 'attn_q_norm.weight',
  'self_attn.k_norm.weight': 'attn_k_norm.weight',
  'post_attention_layernorm.weight': 'ffn_norm.weight',
  'mlp.gate_proj.weight': 'ffn_gate.weight',
  'mlp.up_proj.weight': 'ffn_up.weight',
  'mlp.down_proj.weight': 'ffn_down.weight',
  'mlp.gate_proj.bias': 'ffn_gate.bias',
  'mlp.up_proj.bias': 'ffn_up.bias',
  'mlp.down_proj.bias': 'ffn_down.bias',
};

const GLOBAL_TENSORS: Record<string, string> = {
  'model.embed_tokens.weight': 'token_embd.weight',
  'model.norm.weight': 'output_norm.weight',
  'lm_head.weight': 'output.weight',
};

const SUPPORTED = Object.keys(ARCHITECTURES).join(', ');

/** Features llama.cpp does not compute, so a GGUF would silently answer differently. */
function unsupportedFeature(config: LlamaConfig): { field: string; why: string } | undefined {
  const scaling = config.rope_scaling as Record<string, unknown> | null | undefined;
  const ropeType = scaling ? String(scaling.rope_type ?? scaling.type ?? 'default') : 'default';
  if (!['default', 'linear', 'llama3'].includes(ropeType))
    return { field: 'rope_scaling', why: `rope_scaling "${ropeType}" (llama.cpp supports default, linear and llama3 for these families)` };
  if (config.model_type === 'gemma3_text' && config.attn_logit_softcapping != null)
    return { field: 'attn_logit_softcapping', why: "attention soft-capping (llama.cpp's Gemma 3 has none)" };
  return undefined;
}

export function ggufArchitecture(config: LlamaConfig, file = 'config.json'): GgufArchitecture {
  const arch = ARCHITECTURES[config.model_type];
  if (!arch)
    throw new PersonaError('model_unsupported', `${file}: model_type "${config.model_type}" has no GGUF export (supported: ${SUPPORTED}).`, {
      file,
      field: 'model_type',
    });
  const feature = unsupportedFeature(config);
  if (feature) throw new PersonaError('model_unsupported', `${file}: ${feature.why} cannot be written to GGUF.`, { file, field: feature.field });
  return arch;
}

const LAYER = /^model\.layers\.(\d+)\.(.+)$/;

/** The GGUF name of an HF tensor; undefined for tensors the converter drops (rotary buffers). */
export function ggufTensorName(arch: GgufArchitecture, hfName: string): string | undefined {
  if (hfName.endsWith('rotary_emb.inv_freq')) return undefined;
  const global = GLOBAL_TENSORS[hfName];
  if (global) return global;
  const match = LAYER.exec(hfName);
  const suffix = match && (arch.layerTensors?.[match[2]] ?? COMMON_LAYER_TENSORS[match[2]]);
  if (!match || !suffix) {
    throw new PersonaError('model_unsupported', `Tensor "${hfName}" has no GGUF name for architecture ${arch.name}.`, { tensor: hfName });
  }
  return `blk.${match[1]}.${suffix}`;
}

/**
 * LlamaModel.permute: rows of each head go from [first half | second half] to interleaved
 * pairs, i.e. reshape (heads, 2, headDim/2, in) → swap axes 1 and 2.
 */
export function permuteRows(data: Float32Array, rows: number, cols: number, heads: number): Float32Array {
  const headDim = rows / heads;
  const half = headDim / 2;
  const out = new Float32Array(data.length);
  for (let h = 0; h < heads; h++) {
    for (let i = 0; i < half; i++) {
      for (let two = 0; two < 2; two++) {
        const from = (h * headDim + two * half + i) * cols;
        const to = (h * headDim + i * 2 + two) * cols;
        out.set(data.subarray(from, from + cols), to);
      }
    }
  }
  return out;
}

/** `<arch>.*` hyperparameters in the converter's order (TextModel.set_gguf_parameters, then the model class). */
export function architectureMetadata(arch: GgufArchitecture, config: LlamaConfig): [string, GgufValue][] {
  const a = arch.name;
  const raw = config as Record<string, unknown>;
  const out: [string, GgufValue][] = [
    [`${a}.block_count`, u32(config.num_hidden_layers)],
    [`${a}.context_length`, u32(config.max_position_embeddings)],
    [`${a}.embedding_length`, u32(config.hidden_size)],
    [`${a}.feed_forward_length`, u32(config.intermediate_size)],
    [`${a}.attention.head_count`, u32(config.num_attention_heads)],
    [`${a}.attention.head_count_kv`, u32(config.num_key_value_heads)],
  ];
  const scaling = config.rope_scaling as Record<string, unknown> | null | undefined;
  if (scaling && String(scaling.rope_type ?? scaling.type) === 'linear') {
    out.push([`${a}.rope.scaling.type`, { type: 'string', value: 'linear' }], [`${a}.rope.scaling.factor`, f32(Number(scaling.factor))]);
  }
  out.push([`${a}.rope.freq_base`, f32(config.rope_theta)], [`${a}.attention.layer_norm_rms_epsilon`, f32(config.rms_norm_eps)]);
  if (typeof raw.head_dim === 'number') out.push([`${a}.attention.key_length`, u32(config.head_dim)], [`${a}.attention.value_length`, u32(config.head_dim)]);
  if (arch.writesVocabAndRopeDims) out.push([`${a}.vocab_size`, u32(config.vocab_size)], [`${a}.rope.dimension_count`, u32(config.head_dim)]);
  out.push(...(arch.extraMetadata?.(config) ?? []));
  return out;
}

/**
 * Llama 3 rope scaling travels as a `rope_freqs.weight` tensor of per-frequency divisors
 * (LlamaModel.generate_extra_tensors); here they are the ratio of HF's unscaled to scaled
 * inverse frequencies, so the scaling rule lives only in rope.ts.
 */
export function ropeFrequencyFactors(config: LlamaConfig): Float32Array | undefined {
  const scaling = config.rope_scaling as Record<string, unknown> | null | undefined;
  if (!scaling || String(scaling.rope_type ?? scaling.type) !== 'llama3') return undefined;
  const scaled = ropeSpec(config, config.rope_theta, scaling).invFreq;
  return defaultInverseFrequencies(config.rope_theta, config.head_dim).map((f, i) => f / scaled[i]);
}
