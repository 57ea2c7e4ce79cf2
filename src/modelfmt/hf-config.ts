/**
 * Hugging Face `config.json` of the decoder families we train and serve. Shared by the
 * trainer, the ONNX exporter and inference. Unknown fields are kept (HF configs carry many)
 * but the ones we compute with are validated, so a bad file fails here with its field name.
 * A field a family's config class defaults (e.g. Gemma 3's head_dim 256) gets that default
 * when config.json omits it, as transformers' own config classes do.
 *
 * What each family computes with these fields lives in ./arch/spec.ts; this file only
 * parses and checks them.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { PersonaError } from '../errors.js';
import { modelSpec } from './arch/spec.js';
import { ROPE_SCALING_TYPES } from './arch/rope-frequencies.js';

/** The `model_type` values of config.json we support, training and serving alike. */
export const SUPPORTED_MODEL_TYPES = ['llama', 'mistral', 'qwen2', 'qwen3', 'gemma3_text'] as const;
export type ModelType = (typeof SUPPORTED_MODEL_TYPES)[number];

const nullableNumber = z.number().positive().nullable().optional();

export const llamaConfigSchema = z
  .object({
    model_type: z.string().default('llama'),
    architectures: z.array(z.string()).optional(),
    vocab_size: z.number().int().positive(),
    hidden_size: z.number().int().positive(),
    intermediate_size: z.number().int().positive(),
    num_hidden_layers: z.number().int().positive(),
    num_attention_heads: z.number().int().positive(),
    num_key_value_heads: z.number().int().positive().optional(),
    head_dim: z.number().int().positive().nullable().optional(),
    max_position_embeddings: z.number().int().positive().default(2048),
    rms_norm_eps: z.number().positive().default(1e-6),
    rope_theta: z.number().positive().default(10000),
    rope_scaling: z.record(z.string(), z.unknown()).nullable().optional(),
    tie_word_embeddings: z.boolean().default(false),
    hidden_act: z.string().default('silu'),
    hidden_activation: z.string().nullable().optional(),
    attention_bias: z.boolean().default(false),
    mlp_bias: z.boolean().default(false),
    sliding_window: z.number().int().positive().nullable().optional(),
    use_sliding_window: z.boolean().optional(),
    max_window_layers: z.number().int().nonnegative().optional(),
    layer_types: z.array(z.enum(['sliding_attention', 'full_attention'])).optional(),
    sliding_window_pattern: z.number().int().positive().optional(),
    rope_local_base_freq: z.number().positive().optional(),
    query_pre_attn_scalar: z.number().positive().optional(),
    attn_logit_softcapping: nullableNumber,
    final_logit_softcapping: nullableNumber,
    bos_token_id: z.number().int().nullable().optional(),
    eos_token_id: z
      .union([z.number().int(), z.array(z.number().int())])
      .nullable()
      .optional(),
    pad_token_id: z.number().int().nullable().optional(),
    torch_dtype: z.string().optional(),
  })
  .passthrough();

/** A parsed config.json of any supported family (the name predates the other families). */
export type LlamaConfig = z.infer<typeof llamaConfigSchema> & { model_type: ModelType; num_key_value_heads: number; head_dim: number };

/** transformers' config-class defaults for the fields a family's config.json may omit. */
const FAMILY_DEFAULTS: Record<ModelType, Record<string, unknown>> = {
  llama: {},
  mistral: { sliding_window: 4096 },
  qwen2: { use_sliding_window: false, sliding_window: 4096, max_window_layers: 28 },
  qwen3: { use_sliding_window: false, sliding_window: 4096, max_window_layers: 28, head_dim: 128 },
  gemma3_text: {
    head_dim: 256,
    hidden_activation: 'gelu_pytorch_tanh',
    max_position_embeddings: 131072,
    rope_theta: 1_000_000,
    rope_local_base_freq: 10_000,
    query_pre_attn_scalar: 256,
    sliding_window: 4096,
    sliding_window_pattern: 6,
    tie_word_embeddings: true,
  },
};

/** The activation each family's MLP may use (HF ACT2FN names). */
const ACTIVATIONS: Record<ModelType, { field: 'hidden_act' | 'hidden_activation'; allowed: string[] }> = {
  llama: { field: 'hidden_act', allowed: ['silu'] },
  mistral: { field: 'hidden_act', allowed: ['silu'] },
  qwen2: { field: 'hidden_act', allowed: ['silu'] },
  qwen3: { field: 'hidden_act', allowed: ['silu'] },
  gemma3_text: { field: 'hidden_activation', allowed: ['gelu_pytorch_tanh'] },
};

const unsupported = (file: string, field: string, message: string) => new PersonaError('model_unsupported', `${file}: ${message}`, { file, field });
const corrupt = (file: string, field: string, message: string) => new PersonaError('model_corrupt', `${file}: ${message}`, { file, field });

export function parseLlamaConfig(json: unknown, file = 'config.json'): LlamaConfig {
  const type = (json as { model_type?: unknown } | null)?.model_type ?? 'llama';
  if (!(SUPPORTED_MODEL_TYPES as readonly unknown[]).includes(type)) {
    throw unsupported(file, 'model_type', `model_type "${String(type)}" is not supported (supported: ${SUPPORTED_MODEL_TYPES.join(', ')}).`);
  }
  const family = type as ModelType;
  const given = fromRopeParameters(Object.fromEntries(Object.entries(json as Record<string, unknown>).filter(([, v]) => v !== undefined)), file);
  const parsed = llamaConfigSchema.safeParse({ ...FAMILY_DEFAULTS[family], ...given });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw corrupt(file, issue.path.join('.'), `field "${issue.path.join('.')}" is invalid: ${issue.message}.`);
  }
  const raw = parsed.data;
  const activation = ACTIVATIONS[family];
  const act = family === 'gemma3_text' ? (raw.hidden_activation ?? raw.hidden_act) : raw.hidden_act;
  if (!activation.allowed.includes(act)) {
    throw unsupported(file, activation.field, `${activation.field} "${act}" is not supported for ${family} (supported: ${activation.allowed.join(', ')}).`);
  }
  if (raw.use_bidirectional_attention === true)
    throw unsupported(
      file,
      'use_bidirectional_attention',
      `use_bidirectional_attention is set: an encoder (e.g. EmbeddingGemma), not a causal language model.`,
    );
  if (raw.mlp_bias && family !== 'llama') throw unsupported(file, 'mlp_bias', `mlp_bias is only supported for model_type llama.`);
  const scaling = raw.rope_scaling;
  if (scaling) {
    const kind = String(scaling.rope_type ?? scaling.type ?? 'default');
    if (!(ROPE_SCALING_TYPES as readonly string[]).includes(kind)) {
      throw unsupported(file, 'rope_scaling', `rope_scaling type "${kind}" is not supported (supported: ${ROPE_SCALING_TYPES.join(', ')}).`);
    }
    if (kind !== 'default' && !(Number(scaling.factor) > 0)) throw corrupt(file, 'rope_scaling.factor', `rope_scaling.factor must be a positive number.`);
  }
  const numKv = raw.num_key_value_heads ?? raw.num_attention_heads;
  if (raw.num_attention_heads % numKv !== 0) {
    throw corrupt(file, 'num_key_value_heads', `num_attention_heads (${raw.num_attention_heads}) must be a multiple of num_key_value_heads (${numKv}).`);
  }
  const headDim = raw.head_dim ?? raw.hidden_size / raw.num_attention_heads;
  if (!Number.isInteger(headDim)) throw corrupt(file, 'hidden_size', `hidden_size must be divisible by num_attention_heads.`);
  if (raw.layer_types && raw.layer_types.length !== raw.num_hidden_layers) {
    throw corrupt(file, 'layer_types', `layer_types has ${raw.layer_types.length} entries but num_hidden_layers is ${raw.num_hidden_layers}.`);
  }
  return { ...raw, model_type: family, num_key_value_heads: numKv, head_dim: headDim };
}

/**
 * Newer transformers write `rope_parameters` ({rope_type, rope_theta, …scaling}, or one such
 * object per layer type for Gemma 3) instead of rope_theta / rope_scaling /
 * rope_local_base_freq; both spellings mean the same rotation.
 */
function fromRopeParameters(given: Record<string, unknown>, file: string): Record<string, unknown> {
  const params = given.rope_parameters as Record<string, Record<string, unknown> | unknown> | null | undefined;
  if (!params || typeof params !== 'object') return given;
  const out = { ...given };
  const full = (params.full_attention ?? params) as Record<string, unknown>;
  const sliding = params.sliding_attention as Record<string, unknown> | undefined;
  const { rope_theta: theta, ...scaling } = full;
  if (out.rope_theta === undefined && theta !== undefined) out.rope_theta = theta;
  if (out.rope_scaling === undefined && (scaling.rope_type ?? 'default') !== 'default') out.rope_scaling = scaling;
  if (sliding) {
    if ((sliding.rope_type ?? 'default') !== 'default')
      throw unsupported(file, 'rope_parameters.sliding_attention', `rope_parameters.sliding_attention must use rope_type "default".`);
    if (out.rope_local_base_freq === undefined && sliding.rope_theta !== undefined) out.rope_local_base_freq = sliding.rope_theta;
  }
  return out;
}

export function readLlamaConfig(modelDir: string): LlamaConfig {
  const file = join(modelDir, 'config.json');
  if (!existsSync(file)) throw new PersonaError('model_not_found', `${file} does not exist: not a model folder.`, { file });
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new PersonaError('model_corrupt', `${file}: not valid JSON (${(error as Error).message}).`, { file });
  }
  return parseLlamaConfig(json, file);
}

/** Parameter names and shapes in Hugging Face's layout ([out, in] for Linear weights), per family. */
export function llamaParameterShapes(config: LlamaConfig): Map<string, number[]> {
  return modelSpec(config).parameterShapes;
}
