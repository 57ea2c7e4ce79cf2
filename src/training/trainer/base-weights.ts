/**
 * Loads a base model folder's weights for training: every parameter the config implies,
 * by its Hugging Face name, converted to float32, with the shapes checked against
 * config.json. A missing tensor or a wrong shape fails naming the file, the tensor and both
 * shapes. (Adapter over src/modelfmt/safetensors.ts; tied-embedding folders that still ship
 * lm_head.weight are accepted and the extra tensor ignored.)
 */
import { join } from 'node:path';
import { PersonaError } from '../../errors.js';
import { llamaParameterShapes, type LlamaConfig } from '../../modelfmt/config.js';
import { readSafetensors } from '../../modelfmt/safetensors.js';
import type { Params } from './optimizers.js';

export function loadBaseWeights(baseDir: string, config: LlamaConfig): Params {
  const tensors = readSafetensors(baseDir);
  const weights: Params = new Map();
  for (const [name, shape] of llamaParameterShapes(config)) {
    const tensor = tensors.get(name);
    const file = join(baseDir, 'model.safetensors');
    if (!tensor) throw new PersonaError('model_corrupt', `${file}: tensor "${name}" is missing (config.json implies it).`, { file, tensor: name });
    if (tensor.shape.join(',') !== shape.join(',')) {
      throw new PersonaError('model_corrupt', `${file}: tensor "${name}" has shape [${tensor.shape.join(', ')}] but config.json implies [${shape.join(', ')}].`, {
        file,
        tensor: name,
      });
    }
    weights.set(name, tensor.data);
  }
  return weights;
}
