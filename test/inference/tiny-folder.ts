/**
 * Writes a complete tiny model folder (config.json, generation_config.json, tokenizer.json,
 * tokenizer_config.json, model.safetensors, onnx/model.onnx) into a temp dir: the layout the
 * trainer writes and transformers.js loads. The tokenizer is the project's own byte-level BPE
 * trained on a few sentences, so an emoji spans several tokens.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { llamaParameterShapes, type LlamaConfig } from '../../src/modelfmt/config.ts';
import { exportInferenceOnnx } from '../../src/modelfmt/onnx/export.ts';
import { writeSafetensors } from '../../src/modelfmt/safetensors.ts';
import { trainAndWriteTokenizer } from '../../src/modelfmt/tokenizer/write.ts';
import { randomWeights, tinyConfig } from '../modelfmt/onnx/tiny-model.ts';

const CORPUS = [
  'Hello there, how are you today?',
  'I am fine, thank you. The weather is nice and the sun is out.',
  'Alice: shall we go to the market?\nBob: yes, let us go now.',
  'We shall fight on the beaches, we shall never surrender.',
];

export interface TinyFolder {
  dir: string;
  config: LlamaConfig;
  weights: Map<string, Float32Array>;
}

export function writeTinyModelFolder(options: { seed?: number; dir?: string; generationConfig?: Record<string, unknown>; config?: Record<string, unknown> } = {}): TinyFolder {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'tiny-llama-'));
  mkdirSync(join(dir, 'onnx'), { recursive: true });
  const tokenizer = trainAndWriteTokenizer(CORPUS, dir, 300);
  const config = tinyConfig({ vocab_size: Math.max(300, tokenizer.vocabSize), bos_token_id: 0, eos_token_id: 2, ...options.config });
  const weights = randomWeights(config, options.seed ?? 7, 0.35);
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...config, architectures: ['LlamaForCausalLM'] }, null, 2));
  writeFileSync(join(dir, 'generation_config.json'), JSON.stringify({ bos_token_id: 0, eos_token_id: 2, ...options.generationConfig }, null, 2));
  const shapes = llamaParameterShapes(config);
  writeSafetensors(join(dir, 'model.safetensors'), new Map([...weights].map(([name, data]) => [name, { shape: shapes.get(name)!, data }])), { dtype: 'F32' });
  writeFileSync(join(dir, 'onnx', 'model.onnx'), exportInferenceOnnx(config, weights));
  return { dir, config, weights };
}
