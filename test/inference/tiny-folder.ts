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
import { createTokenizer, readTokenizerFiles, type Tokenizer } from '../../src/modelfmt/tokenizer.ts';
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

export interface TinyFolderOptions {
  seed?: number;
  dir?: string;
  generationConfig?: Record<string, unknown>;
  config?: Record<string, unknown>;
  /** Edits the random weights before they are written (see writeScriptedModelFolder). */
  customize?: (config: LlamaConfig, weights: Map<string, Float32Array>, tokenizer: Tokenizer) => void;
}

export function writeTinyModelFolder(options: TinyFolderOptions = {}): TinyFolder {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'tiny-llama-'));
  mkdirSync(join(dir, 'onnx'), { recursive: true });
  const tokenizer = trainAndWriteTokenizer(CORPUS, dir, 300);
  const config = tinyConfig({ vocab_size: Math.max(300, tokenizer.vocabSize), bos_token_id: 0, eos_token_id: 2, ...options.config });
  const weights = randomWeights(config, options.seed ?? 7, 0.35);
  if (options.customize) {
    const files = readTokenizerFiles(dir);
    options.customize(config, weights, createTokenizer(files.tokenizerJson, files.tokenizerConfig));
  }
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...config, architectures: ['LlamaForCausalLM'] }, null, 2));
  writeFileSync(join(dir, 'generation_config.json'), JSON.stringify({ bos_token_id: 0, eos_token_id: 2, ...options.generationConfig }, null, 2));
  const shapes = llamaParameterShapes(config);
  writeSafetensors(join(dir, 'model.safetensors'), new Map([...weights].map(([name, data]) => [name, { shape: shapes.get(name)!, data }])), { dtype: 'F32' });
  writeFileSync(join(dir, 'onnx', 'model.onnx'), exportInferenceOnnx(config, weights));
  return { dir, config, weights };
}

/**
 * A model that deterministically writes `script` after any prompt ending in `cue`, then ends
 * its turn: every layer is zeroed so the residual stream is the token's embedding, and the
 * untied lm_head maps each script token's (normalized) embedding onto the next script token.
 * Lets tests drive generation through exact byte sequences (emoji, speaker lines).
 * The script's tokens must not repeat (each one has a single successor).
 */
export function writeScriptedModelFolder(cue: string, script: string, dir?: string): TinyFolder {
  return writeTinyModelFolder({
    dir,
    config: { tie_word_embeddings: false, rms_norm_eps: 1e-6 },
    customize: (config, weights, tokenizer) => {
      for (const [name, data] of weights) if (name.startsWith('model.layers.') && !name.endsWith('norm.weight')) data.fill(0);
      for (const name of ['model.norm.weight', ...[...weights.keys()].filter((n) => n.endsWith('layernorm.weight'))]) weights.get(name)!.fill(1);
      const chain = [tokenizer.encode(cue).at(-1)!, ...tokenizer.encode(script), tokenizer.eosTokenId];
      if (new Set(chain.slice(0, -1)).size !== chain.length - 1) throw new Error(`script tokens repeat: ${JSON.stringify(script)}`);
      const d = config.hidden_size;
      const embed = weights.get('model.embed_tokens.weight')!;
      const head = weights.get('lm_head.weight')!.fill(0);
      for (let i = 0; i + 1 < chain.length; i++) {
        const e = embed.subarray(chain[i] * d, chain[i] * d + d);
        const rms = Math.sqrt(e.reduce((sum, v) => sum + v * v, 0) / d);
        for (let j = 0; j < d; j++) head[chain[i + 1] * d + j] = (4 * e[j]) / rms;
      }
    },
  });
}
