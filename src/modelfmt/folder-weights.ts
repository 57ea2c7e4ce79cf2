/**
 * Reads a model's weights (any supported family) from a folder (model.safetensors or sharded with an index)
 * and checks them against config.json: every parameter `llamaParameterShapes` implies must
 * be present with that shape. Tied-embedding models may omit lm_head.weight (and one that
 * ships it anyway has it ignored); unrelated tensors such as rotary `inv_freq` buffers are
 * ignored too.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { PersonaError } from '../errors.js';
import { llamaParameterShapes, type LlamaConfig } from './hf-config.js';
import { readSafetensors, SAFETENSORS_INDEX_FILE } from './safetensors.js';

/** The file a user should look at: the single weights file or the shard index. */
export function weightsFile(dir: string): string {
  const single = join(dir, 'model.safetensors');
  return existsSync(single) || !existsSync(join(dir, SAFETENSORS_INDEX_FILE)) ? single : join(dir, SAFETENSORS_INDEX_FILE);
}

export function readLlamaWeights(dir: string, config: LlamaConfig): Map<string, Float32Array> {
  const file = weightsFile(dir);
  if (!existsSync(file))
    throw new PersonaError('model_corrupt', `${file} is missing: the model folder has no weights (model.safetensors or ${SAFETENSORS_INDEX_FILE}).`, { file });
  const tensors = readSafetensors(file);
  const weights = new Map<string, Float32Array>();
  for (const [name, shape] of llamaParameterShapes(config)) {
    const tensor = tensors.get(name);
    if (!tensor) throw new PersonaError('model_corrupt', `${file}: tensor "${name}" is missing (config.json implies it).`, { file, tensor: name });
    if (tensor.shape.join(',') !== shape.join(',')) {
      throw new PersonaError(
        'model_corrupt',
        `${file}: tensor "${name}" has shape [${tensor.shape.join(', ')}] but config.json implies [${shape.join(', ')}].`,
        { file, tensor: name },
      );
    }
    weights.set(name, tensor.data);
  }
  return weights;
}
