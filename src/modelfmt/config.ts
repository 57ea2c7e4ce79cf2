/**
 * Hugging Face `config.json` for Llama-family models (LlamaConfig fields). Shared by the
 * trainer, the ONNX exporter and inference. Unknown fields are kept (HF configs carry many)
 * but the ones we compute with are validated, so a bad file fails here with its field name.
 */
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { PersonaError } from '../errors.js';

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
    head_dim: z.number().int().positive().optional(),
    max_position_embeddings: z.number().int().positive().default(2048),
    rms_norm_eps: z.number().positive().default(1e-6),
    rope_theta: z.number().positive().default(10000),
    rope_scaling: z.unknown().optional(),
    tie_word_embeddings: z.boolean().default(false),
    hidden_act: z.string().default('silu'),
    attention_bias: z.boolean().default(false),
    mlp_bias: z.boolean().default(false),
    bos_token_id: z.number().int().nullable().optional(),
    eos_token_id: z.union([z.number().int(), z.array(z.number().int())]).nullable().optional(),
    pad_token_id: z.number().int().nullable().optional(),
    torch_dtype: z.string().optional(),
  })
  .passthrough();

export type LlamaConfig = z.infer<typeof llamaConfigSchema> & { num_key_value_heads: number; head_dim: number };

/** Architectures whose math is exactly Llama's (RMSNorm, RoPE rotate_half, GQA, SwiGLU). */
const SUPPORTED_MODEL_TYPES = ['llama', 'mistral', 'qwen2'];

export function parseLlamaConfig(json: unknown, file = 'config.json'): LlamaConfig {
  const parsed = llamaConfigSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new PersonaError('model_corrupt', `${file}: field "${issue.path.join('.')}" is invalid: ${issue.message}.`, { file, field: issue.path.join('.') });
  }
  const raw = parsed.data;
  if (!SUPPORTED_MODEL_TYPES.includes(raw.model_type)) {
    throw new PersonaError('model_unsupported', `${file}: model_type "${raw.model_type}" is not supported (supported: ${SUPPORTED_MODEL_TYPES.join(', ')}).`, {
      file,
      field: 'model_type',
    });
  }
  if (raw.hidden_act !== 'silu') {
    throw new PersonaError('model_unsupported', `${file}: hidden_act "${raw.hidden_act}" is not supported (supported: silu).`, { file, field: 'hidden_act' });
  }
  if (raw.attention_bias || raw.mlp_bias) {
    throw new PersonaError('model_unsupported', `${file}: attention_bias/mlp_bias are not supported.`, { file, field: 'attention_bias' });
  }
  const numKv = raw.num_key_value_heads ?? raw.num_attention_heads;
  if (raw.num_attention_heads % numKv !== 0) {
    throw new PersonaError('model_corrupt', `${file}: num_attention_heads (${raw.num_attention_heads}) must be a multiple of num_key_value_heads (${numKv}).`, {
      file,
      field: 'num_key_value_heads',
    });
  }
  const headDim = raw.head_dim ?? raw.hidden_size / raw.num_attention_heads;
  if (!Number.isInteger(headDim)) {
    throw new PersonaError('model_corrupt', `${file}: hidden_size must be divisible by num_attention_heads.`, { file, field: 'hidden_size' });
  }
  return { ...raw, num_key_value_heads: numKv, head_dim: headDim };
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

/** Parameter names and shapes in Hugging Face's layout ([out, in] for Linear weights). */
export function llamaParameterShapes(config: LlamaConfig): Map<string, number[]> {
  const { hidden_size: d, intermediate_size: f, vocab_size: v, num_attention_heads: h, num_key_value_heads: kv, head_dim: hd } = config;
  const shapes = new Map<string, number[]>();
  shapes.set('model.embed_tokens.weight', [v, d]);
  for (let i = 0; i < config.num_hidden_layers; i++) {
    const p = `model.layers.${i}`;
    shapes.set(`${p}.input_layernorm.weight`, [d]);
    shapes.set(`${p}.self_attn.q_proj.weight`, [h * hd, d]);
    shapes.set(`${p}.self_attn.k_proj.weight`, [kv * hd, d]);
    shapes.set(`${p}.self_attn.v_proj.weight`, [kv * hd, d]);
    shapes.set(`${p}.self_attn.o_proj.weight`, [d, h * hd]);
    shapes.set(`${p}.post_attention_layernorm.weight`, [d]);
    shapes.set(`${p}.mlp.gate_proj.weight`, [f, d]);
    shapes.set(`${p}.mlp.up_proj.weight`, [f, d]);
    shapes.set(`${p}.mlp.down_proj.weight`, [d, f]);
  }
  shapes.set('model.norm.weight', [d]);
  if (!config.tie_word_embeddings) shapes.set('lm_head.weight', [v, d]);
  return shapes;
}
