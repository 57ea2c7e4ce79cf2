/**
 * A PEFT LoRA adapter (adapter_config.json + adapter_model.safetensors beside the version's
 * config.json) as a GGUF LoRA, as llama.cpp's convert_lora_to_gguf.py writes it, for
 * `llama-cli -m base.gguf --lora adapter.gguf` and Ollama's ADAPTER: `general.type` adapter,
 * `adapter.type` lora, `adapter.lora.alpha`, and per adapted matrix `<gguf name>.lora_a`
 * (HF A [r, in]) and `.lora_b` (HF B [out, r]), float32. llama.cpp scales by alpha / r
 * as PEFT does. For Llama's permuted q/k rows, B's rows get the same permutation.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PersonaError } from '../../errors.js';
import { readLlamaConfig } from '../hf-config.js';
import { readSafetensors } from '../safetensors.js';
import { ggufArchitecture, ggufTensorName, permuteRows } from './arch.js';
import { GGML_QUANT_VERSION, ggufTensor } from './quantize.js';
import { f32, str, u32, writeGguf, type GgufTensor, type GgufValue } from './writer.js';

const LORA_KEY = /^base_model\.model\.(.+)\.lora_([AB])\.weight$/;

/** Writes the adapter in `dir` (a version folder with adapter files, or an adapter/ folder next to its config.json). */
export function exportGgufLora(dir: string, configDir: string, file: string, name: string): { file: string; tensors: number } {
  const configFile = join(dir, 'adapter_config.json');
  if (!existsSync(configFile))
    throw new PersonaError('model_not_found', `${configFile} is missing: this version has no LoRA adapter (it was trained with method full, or is the base).`, {
      file: configFile,
    });
  const adapter = JSON.parse(readFileSync(configFile, 'utf8')) as { r?: number; lora_alpha?: number; use_rslora?: boolean };
  if (!Number.isInteger(adapter.r) || typeof adapter.lora_alpha !== 'number')
    throw new PersonaError('model_corrupt', `${configFile}: "r" and "lora_alpha" must be numbers.`, { file: configFile, field: 'r' });
  if (adapter.use_rslora)
    throw new PersonaError('model_unsupported', `${configFile}: rsLoRA (alpha / √r) has no GGUF equivalent; llama.cpp scales by alpha / r.`, {
      file: configFile,
      field: 'use_rslora',
    });
  const config = readLlamaConfig(configDir);
  const arch = ggufArchitecture(config, join(configDir, 'config.json'));

  const pairs = new Map<string, { A?: { shape: number[]; data: Float32Array }; B?: { shape: number[]; data: Float32Array } }>();
  for (const [key, tensor] of readSafetensors(join(dir, 'adapter_model.safetensors'))) {
    const match = LORA_KEY.exec(key);
    if (!match)
      throw new PersonaError(
        'model_unsupported',
        `${join(dir, 'adapter_model.safetensors')}: tensor "${key}" is not a LoRA A/B matrix; only those go into a GGUF LoRA.`,
        { tensor: key },
      );
    const pair = pairs.get(match[1]) ?? {};
    pair[match[2] as 'A' | 'B'] = tensor;
    pairs.set(match[1], pair);
  }
  const tensors: GgufTensor[] = [];
  const add = (tensorName: string, shape: number[], data: () => Float32Array) => tensors.push(ggufTensor(tensorName, shape, 'F32', data));
  for (const [module, { A, B }] of [...pairs].sort(([a], [b]) => a.localeCompare(b, 'en', { numeric: true }))) {
    if (!A || !B)
      throw new PersonaError('model_corrupt', `${join(dir, 'adapter_model.safetensors')}: ${module} has only one of lora_A and lora_B.`, { tensor: module });
    const target = ggufTensorName(arch, `${module}.weight`)!;
    const heads = /attn_q\.weight$/.test(target) ? config.num_attention_heads : /attn_k\.weight$/.test(target) ? config.num_key_value_heads : 0;
    add(`${target}.lora_a`, A.shape, () => A.data);
    add(`${target}.lora_b`, B.shape, () => (arch.permuteQK && heads ? permuteRows(B.data, B.shape[0], B.shape[1], heads) : B.data));
  }
  const metadata = new Map<string, GgufValue>([
    ['general.architecture', str(arch.name)],
    ['general.type', str('adapter')],
    ['general.name', str(name)],
    ['adapter.type', str('lora')],
    ['adapter.lora.alpha', f32(adapter.lora_alpha)],
    ['general.file_type', u32(0)],
    ['general.quantization_version', u32(GGML_QUANT_VERSION)],
  ]);
  writeGguf(file, metadata, tensors);
  return { file, tensors: tensors.length };
}
