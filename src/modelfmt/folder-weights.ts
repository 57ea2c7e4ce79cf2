/**
 * Reads a model's weights (any supported family) from a folder (model.safetensors or sharded with an index)
 * and checks them against config.json: every parameter `llamaParameterShapes` implies must
 * be present with that shape. Tied-embedding models may omit lm_head.weight (and one that
 * ships it anyway has it ignored); unrelated tensors such as rotary `inv_freq` buffers are
 * ignored too, and never read.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { PersonaError } from '../errors.js';
import { llamaParameterShapes, type LlamaConfig } from './hf-config.js';
import { indexSafetensors, readTensor, SAFETENSORS_INDEX_FILE } from './safetensors.js';

/** The file a user should look at: the single weights file or the shard index. */
export function weightsFile(dir: string): string {
  const single = join(dir, 'model.safetensors');
  return existsSync(single) || !existsSync(join(dir, SAFETENSORS_INDEX_FILE)) ? single : join(dir, SAFETENSORS_INDEX_FILE);
}

/**
 * Every parameter config.json implies, as float32 (inference export, evaluation, full
 * fine-tuning) or, for the names in `narrow`, as float16 bits (a LoRA run's frozen matrices,
 * src/training/frozen-weights.ts). All shapes are checked from the headers before any data is
 * read; then each tensor is read straight into its type, so a narrowed base never exists as
 * float32 (at Llama-3.2-1B that copy was 4.9 GB beside the 2.5 GB the run keeps).
 */
export function readLlamaWeights(dir: string, config: LlamaConfig): Map<string, Float32Array>;
export function readLlamaWeights(dir: string, config: LlamaConfig, narrow: Set<string>): Map<string, Float32Array | Uint16Array>;
export function readLlamaWeights(dir: string, config: LlamaConfig, narrow = new Set<string>()): Map<string, Float32Array | Uint16Array> {
  const file = weightsFile(dir);
  if (!existsSync(file))
    throw new PersonaError('model_corrupt', `${file} is missing: the model folder has no weights (model.safetensors or ${SAFETENSORS_INDEX_FILE}).`, { file });
  const entries = indexSafetensors(file);
  const shapes = llamaParameterShapes(config);
  for (const [name, shape] of shapes) {
    const entry = entries.get(name);
    if (!entry) throw new PersonaError('model_corrupt', `${file}: tensor "${name}" is missing (config.json implies it).`, { file, tensor: name });
    if (entry.shape.join(',') !== shape.join(',')) {
      throw new PersonaError(
        'model_corrupt',
        `${file}: tensor "${name}" has shape [${entry.shape.join(', ')}] but config.json implies [${shape.join(', ')}].`,
        { file, tensor: name },
      );
    }
  }
  const weights = new Map<string, Float32Array | Uint16Array>();
  for (const name of shapes.keys()) weights.set(name, readTensor(entries.get(name)!, narrow.has(name) ? 'float16' : 'float32'));
  return weights;
}
