/**
 * LoRA in PEFT's layout: key names (`base_model.model.<hf name minus .weight>.lora_A.weight`,
 * A [r, in] and B [out, r]), `adapter_config.json`, and merging into the base weights
 * (W += (alpha / r) · B · A, what PEFT's merge_and_unload computes) so inference can load
 * one plain model.safetensors.
 */
import { PersonaError } from '../../errors.js';
import type { Params } from './optimizers.js';

export interface LoraSettings {
  r: number;
  alpha: number;
  dropout: number;
  targetModules: string[];
}

const PEFT_PREFIX = 'base_model.model.';
const LORA_KEY = /^base_model\.model\.(.+)\.lora_([AB])\.weight$/;

/** `base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight` → `model.layers.0.self_attn.q_proj.weight`. */
export function baseWeightName(peftKey: string): { base: string; part: 'A' | 'B' } | null {
  const match = LORA_KEY.exec(peftKey);
  return match ? { base: `${match[1]}.weight`, part: match[2] as 'A' | 'B' } : null;
}

export function peftKey(baseName: string, part: 'A' | 'B'): string {
  return `${PEFT_PREFIX}${baseName.replace(/\.weight$/, '')}.lora_${part}.weight`;
}

/** Base weights with every adapter merged in; untouched tensors are shared, merged ones copied. */
export function mergeLora(base: Params, adapter: Params, lora: Pick<LoraSettings, 'r' | 'alpha'>): Params {
  const merged: Params = new Map(base);
  const scale = lora.alpha / lora.r;
  for (const [key, a] of adapter) {
    const parsed = baseWeightName(key);
    if (!parsed || parsed.part !== 'A') continue;
    const b = adapter.get(peftKey(parsed.base, 'B'));
    const w = base.get(parsed.base);
    if (!b || !w) throw new PersonaError('model_corrupt', `LoRA adapter ${key} has no matching lora_B or base weight ${parsed.base}.`, { tensor: key });
    const r = lora.r;
    const inDim = a.length / r;
    const outDim = b.length / r;
    if (!Number.isInteger(inDim) || !Number.isInteger(outDim) || outDim * inDim !== w.length) {
      throw new PersonaError('model_corrupt', `LoRA adapter ${key}: shapes A ${a.length}, B ${b.length} do not fit ${parsed.base} (${w.length}) with r=${r}.`, { tensor: key });
    }
    const out = w.slice();
    for (let o = 0; o < outDim; o++) {
      const row = o * inDim;
      for (let k = 0; k < r; k++) {
        const coef = scale * b[o * r + k];
        if (coef === 0) continue;
        const aRow = k * inDim;
        for (let i = 0; i < inDim; i++) out[row + i] += coef * a[aRow + i];
      }
    }
    merged.set(parsed.base, out);
  }
  return merged;
}

/** PEFT's adapter_config.json for a causal-LM LoRA adapter. */
export function adapterConfig(lora: LoraSettings, baseModelNameOrPath: string): Record<string, unknown> {
  return {
    peft_type: 'LORA',
    task_type: 'CAUSAL_LM',
    base_model_name_or_path: baseModelNameOrPath,
    r: lora.r,
    lora_alpha: lora.alpha,
    lora_dropout: lora.dropout,
    target_modules: lora.targetModules,
    bias: 'none',
    fan_in_fan_out: false,
    inference_mode: true,
    init_lora_weights: true,
    use_rslora: false,
    use_dora: false,
    modules_to_save: null,
    layers_to_transform: null,
    layers_pattern: null,
    rank_pattern: {},
    alpha_pattern: {},
    revision: null,
  };
}
