/**
 * LoRA output in PEFT's layout: merging adapters into the base weights
 * (W += (alpha / r) · B · A, what PEFT's merge_and_unload computes) so inference loads one
 * plain model.safetensors, and PEFT's adapter_config.json. Key names and shapes come from
 * the training engine (src/training/lora-adapters.ts), so both sides agree by construction.
 */
import { PersonaError } from '../../errors.js';
import type { LlamaConfig } from '../../modelfmt/hf-config.js';
import { float16ToFloat32 } from '../../modelfmt/half.js';
import type { FrozenParams } from '../frozen-weights.js';
import { loraName, loraTargets, type LoraOptions } from '../lora-adapters.js';
import type { Params } from './optimizers.js';

/**
 * Base weights with every adapter merged in; untouched float32 tensors are shared, merged
 * ones copied. A float16 base (frozen-weights.ts) is widened tensor by tensor into the
 * result, so the merge never holds a float32 copy of the base beside the merged one.
 * `consume` (the trainer, whose base is not needed afterwards) merges into `base` itself:
 * each float16 tensor is replaced by its widening as it goes and float32 ones are added to
 * in place, so the float16 base does not live beside the merged model (2.3 GiB at 1B).
 */
export function mergeLora(config: LlamaConfig, base: FrozenParams, adapter: Params, lora: LoraOptions, options: { consume?: boolean } = {}): Params {
  const merged = options.consume ? (base as Params) : new Map<string, Float32Array>();
  for (const [name, w] of base) merged.set(name, w instanceof Uint16Array ? float16ToFloat32(w) : w);
  const scale = lora.alpha / lora.r;
  const r = lora.r;
  for (const [name, [outDim, inDim]] of loraTargets(config, lora)) {
    const a = adapter.get(loraName(name, 'A'));
    const b = adapter.get(loraName(name, 'B'));
    const w = merged.get(name);
    if (!a || !b || !w || a.length !== r * inDim || b.length !== outDim * r || w.length !== outDim * inDim) {
      throw new PersonaError('model_corrupt', `LoRA adapter for ${name} is missing or does not fit [${outDim}, ${inDim}] with r=${r}.`, { tensor: name });
    }
    // Copy only a float32 tensor the caller still holds; a widened one is already the merge's own.
    const out = options.consume || base.get(name) instanceof Uint16Array ? w : w.slice();
    for (let o = 0; o < outDim; o++) {
      const row = o * inDim;
      for (let k = 0; k < r; k++) {
        const coef = scale * b[o * r + k];
        if (coef === 0) continue;
        const aRow = k * inDim;
        for (let i = 0; i < inDim; i++) out[row + i] += coef * a[aRow + i];
      }
    }
    merged.set(name, out);
  }
  return merged;
}

/** PEFT's adapter_config.json for a causal-LM LoRA adapter. */
export function adapterConfig(lora: LoraOptions, baseModelNameOrPath: string): Record<string, unknown> {
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
