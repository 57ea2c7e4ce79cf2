/**
 * LoRA adapters in PEFT's layout: for each targeted Linear `…<module>.weight` [out, in],
 * `base_model.model.<prefix>.<module>.lora_A.weight` [r, in] and `…lora_B.weight` [out, r],
 * y = x·Wᵀ + (alpha / r) · dropout(x)·Aᵀ·Bᵀ. A starts kaiming-uniform and B at zero, so a
 * fresh adapter leaves the model unchanged (PEFT's defaults).
 */
import type { LlamaConfig } from '../modelfmt/config.js';
import { PersonaError } from '../errors.js';
import { llamaParameterShapes } from '../modelfmt/config.js';
import { mulberry32 } from './random.js';

export interface LoraOptions {
  r: number;
  alpha: number;
  dropout: number;
  targetModules: string[];
}

export const LORA_MODULES = ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'] as const;

export function validateLora(lora: LoraOptions | undefined): LoraOptions {
  if (!lora) throw new PersonaError('invalid_argument', 'method "lora" needs lora options (r, alpha, dropout, targetModules).', { field: 'lora' });
  if (!Number.isInteger(lora.r) || lora.r < 1) throw new PersonaError('invalid_argument', `lora.r must be a positive integer, got ${lora.r}.`, { field: 'lora.r' });
  if (!(lora.alpha > 0)) throw new PersonaError('invalid_argument', `lora.alpha must be positive, got ${lora.alpha}.`, { field: 'lora.alpha' });
  if (!(lora.dropout >= 0 && lora.dropout < 1)) throw new PersonaError('invalid_argument', `lora.dropout must be in [0, 1), got ${lora.dropout}.`, { field: 'lora.dropout' });
  if (lora.targetModules.length === 0) throw new PersonaError('invalid_argument', `lora.targetModules is empty (choices: ${LORA_MODULES.join(', ')}).`, { field: 'lora.targetModules' });
  for (const m of lora.targetModules) {
    if (!(LORA_MODULES as readonly string[]).includes(m)) {
      throw new PersonaError('invalid_argument', `lora.targetModules: "${m}" is not a Llama linear module (choices: ${LORA_MODULES.join(', ')}).`, { field: 'lora.targetModules' });
    }
  }
  return lora;
}

/** PEFT key of the A or B matrix for the base weight `model.layers.N.….weight`. */
export const loraName = (baseWeight: string, which: 'A' | 'B') => `base_model.model.${baseWeight.replace(/\.weight$/, '')}.lora_${which}.weight`;

/** Base weights the adapter targets, with their [out, in] shapes. */
export function loraTargets(config: LlamaConfig, lora: LoraOptions): [string, number[]][] {
  return [...llamaParameterShapes(config)].filter(([name]) => lora.targetModules.some((m) => name.endsWith(`.${m}.weight`)));
}

export function loraParameterShapes(config: LlamaConfig, lora: LoraOptions): Map<string, number[]> {
  const shapes = new Map<string, number[]>();
  for (const [name, [out, inp]] of loraTargets(config, lora)) {
    shapes.set(loraName(name, 'A'), [lora.r, inp]);
    shapes.set(loraName(name, 'B'), [out, lora.r]);
  }
  return shapes;
}

/** A ~ U(-1/√in, 1/√in) (kaiming_uniform with a = √5, as PEFT), B = 0. */
export function initLoraParams(config: LlamaConfig, lora: LoraOptions, seed: number): Map<string, Float32Array> {
  validateLora(lora);
  const random = mulberry32(seed);
  const params = new Map<string, Float32Array>();
  for (const [name, shape] of loraParameterShapes(config, lora)) {
    const data = new Float32Array(shape[0] * shape[1]);
    if (name.endsWith('lora_A.weight')) {
      const bound = 1 / Math.sqrt(shape[1]);
      for (let i = 0; i < data.length; i++) data[i] = (random() * 2 - 1) * bound;
    }
    params.set(name, data);
  }
  return params;
}
