/**
 * Writes a tiny random Llama model folder for the trainer tests (what `models/base` holds
 * once the bundled base exists): a BPE tokenizer trained on a few sentences with the base
 * chat template, config.json sized to it, generation_config.json and seeded random
 * model.safetensors.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseLlamaConfig, type LlamaConfig } from '../../../src/modelfmt/config.ts';
import { writeSafetensors } from '../../../src/modelfmt/safetensors.ts';
import { llamaParameterShapes } from '../../../src/modelfmt/config.ts';
import { trainAndWriteTokenizer } from '../../../src/modelfmt/tokenizer/write.ts';
import { randomWeights } from '../../modelfmt/onnx/tiny-model.ts';

export const TINY_TEXTS = [
  'We have nothing to fear but fear itself, and the nation will endure.',
  'The only limit to our realization of tomorrow will be our doubts of today.',
  'Ask not what your country can do for you; ask what you can do for your country.',
  'Good morning, friends. How is the weather by the lake today?',
  'It rained all week, but the garden is glad of it.',
];

export function writeTinyModelFolder(options: { tie?: boolean; layers?: number } = {}): { dir: string; config: LlamaConfig } {
  const dir = mkdtempSync(join(tmpdir(), 'tiny-llama-'));
  const report = trainAndWriteTokenizer(TINY_TEXTS, dir, 320);
  const json = {
    architectures: ['LlamaForCausalLM'],
    model_type: 'llama',
    vocab_size: report.vocabSize,
    hidden_size: 32,
    intermediate_size: 64,
    num_hidden_layers: options.layers ?? 2,
    num_attention_heads: 4,
    num_key_value_heads: 2,
    max_position_embeddings: 256,
    rms_norm_eps: 1e-5,
    rope_theta: 10000,
    tie_word_embeddings: options.tie ?? true,
    bos_token_id: 0,
    eos_token_id: 2,
    pad_token_id: 3,
  };
  writeFileSync(join(dir, 'config.json'), JSON.stringify(json, null, 2));
  writeFileSync(join(dir, 'generation_config.json'), JSON.stringify({ bos_token_id: 0, eos_token_id: 2, pad_token_id: 3 }));
  const config = parseLlamaConfig(json);
  const shapes = llamaParameterShapes(config);
  const weights = randomWeights(config, 7, 0.05);
  writeSafetensors(join(dir, 'model.safetensors'), new Map([...weights].map(([name, data]) => [name, { shape: shapes.get(name)!, data }])), { dtype: 'F32' });
  return { dir, config };
}
