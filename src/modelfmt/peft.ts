/**
 * PEFT LoRA adapter folders: adapter_config.json (with `base_model_name_or_path`, the
 * pointer to the base model folder) and adapter_model.safetensors. A relative base path is
 * resolved against the adapter folder; a Hub id cannot be fetched offline, so it must be a
 * folder on disk.
 */
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { PersonaError } from '../errors.js';
import type { LlamaConfig } from './hf-config.js';
import { llamaParameterShapes } from './hf-config.js';
import { readSafetensors } from './safetensors.js';

export interface LoadedAdapter {
  dir: string;
  /** Resolved base model folder. */
  baseDir: string;
  config: Record<string, unknown> & { r: number; lora_alpha: number; target_modules?: unknown };
  /** PEFT tensor names (`base_model.model.<module>.lora_A.weight`) → float32 data. */
  weights: Map<string, Float32Array>;
  shapes: Map<string, number[]>;
}

const LORA_KEY = /^base_model\.model\.(.+)\.lora_([AB])\.weight$/;

function resolveBase(dir: string, pointer: unknown, file: string): string {
  if (typeof pointer !== 'string' || pointer === '') {
    throw new PersonaError('model_corrupt', `${file}: "base_model_name_or_path" must name the base model folder.`, { file, field: 'base_model_name_or_path' });
  }
  const candidates = isAbsolute(pointer) ? [pointer] : [resolve(dir, pointer), resolve(pointer)];
  const found = candidates.find((c) => existsSync(join(c, 'config.json')));
  if (!found) {
    throw new PersonaError('model_not_found', `${file}: base model "${pointer}" is not a model folder on this machine (looked in ${candidates.join(', ')}).`, {
      file,
      field: 'base_model_name_or_path',
    });
  }
  return found;
}

/** Reads the adapter; with the base config, also checks every LoRA pair against the base shapes. */
export function readAdapter(dir: string, baseConfig?: LlamaConfig): LoadedAdapter {
  const file = join(dir, 'adapter_config.json');
  let config: LoadedAdapter['config'];
  try {
    config = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new PersonaError('model_corrupt', `${file}: not valid JSON (${(error as Error).message}).`, { file });
  }
  if (!Number.isInteger(config.r) || config.r <= 0)
    throw new PersonaError('model_corrupt', `${file}: field "r" must be a positive integer.`, { file, field: 'r' });
  const baseDir = resolveBase(dir, config.base_model_name_or_path, file);
  const weightsFile = join(dir, 'adapter_model.safetensors');
  if (!existsSync(weightsFile)) throw new PersonaError('model_corrupt', `${weightsFile} is missing from the adapter folder.`, { file: weightsFile });
  const weights = new Map<string, Float32Array>();
  const shapes = new Map<string, number[]>();
  const baseShapes = baseConfig ? llamaParameterShapes(baseConfig) : undefined;
  for (const [name, tensor] of readSafetensors(weightsFile)) {
    const match = LORA_KEY.exec(name);
    if (!match) continue;
    const target = baseShapes?.get(`${match[1]}.weight`);
    if (baseShapes) {
      const expected = match[2] === 'A' ? [config.r, target?.[1]] : [target?.[0], config.r];
      if (!target || tensor.shape.join(',') !== expected.join(',')) {
        throw new PersonaError(
          'model_corrupt',
          `${weightsFile}: tensor "${name}" has shape [${tensor.shape.join(', ')}], which does not fit the base model (expected [${expected.join(', ')}]).`,
          {
            file: weightsFile,
            tensor: name,
          },
        );
      }
    }
    weights.set(name, tensor.data);
    shapes.set(name, tensor.shape);
  }
  return { dir, baseDir, config, weights, shapes };
}
