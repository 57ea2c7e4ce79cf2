/**
 * Weights the inference benchmarks run on: models/base's own when asked for and present,
 * else seeded uniform random weights (±0.05, norms 1) of the config's shapes, the same in
 * every run so that bench:generate and scripts/profile-decode.ts measure the same model.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { llamaParameterShapes, type LlamaConfig } from '../../src/modelfmt/hf-config.js';
import { readSafetensors } from '../../src/modelfmt/safetensors.js';
import { mulberry32 } from '../../src/util/random.js';

export const BASE_DIR = 'models/base';

export function benchWeights(config: LlamaConfig, useBase: boolean): Map<string, Float32Array> {
  if (useBase && existsSync(join(BASE_DIR, 'model.safetensors'))) return new Map([...readSafetensors(BASE_DIR)].map(([n, t]) => [n, t.data]));
  const random = mulberry32(1234);
  const weights = new Map<string, Float32Array>();
  for (const [name, shape] of llamaParameterShapes(config)) {
    const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
    if (name.endsWith('norm.weight')) data.fill(1);
    else for (let i = 0; i < data.length; i++) data[i] = (random() * 2 - 1) * 0.05;
    weights.set(name, data);
  }
  return weights;
}
