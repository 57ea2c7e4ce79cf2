/**
 * The model folder format shared by training (writes), inference (reads) and Hugging Face
 * tools: config.json, generation_config.json, tokenizer.json, tokenizer_config.json (with a
 * chat template), model.safetensors (or shards + index) and optionally a PEFT adapter.
 *
 * `loadModelFolder` validates everything a later step would trip over and fails once, with
 * a PersonaError naming the file ('model_corrupt', 'tokenizer_mismatch', 'template_error').
 * Writing is model-folder-write.ts (one writer for pretraining and the trainer).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PersonaError } from '../errors.js';
import { readLlamaConfig, type LlamaConfig } from './hf-config.js';
import { renderChat, type TokenizerConfig } from './chat-render.js';
import { createTokenizer, readTokenizerFiles, type Tokenizer } from './tokenizer.js';
import { readLlamaWeights } from './folder-weights.js';
import { readAdapter, type LoadedAdapter } from './peft.js';

export interface ModelFolder {
  dir: string;
  config: LlamaConfig;
  generationConfig: Record<string, unknown>;
  tokenizer: Tokenizer;
  tokenizerConfig: TokenizerConfig;
  tokenizerJson: Record<string, unknown>;
  /** Base (or merged) weights by Hugging Face name, float32. */
  weights: Map<string, Float32Array>;
  /** Present when the folder holds a PEFT adapter (with or without merged weights). */
  adapter?: LoadedAdapter;
}

const PROBE_CONVERSATION = [
  { role: 'system', content: 'Probe.' },
  { role: 'user', name: 'User', content: 'Hello?' },
  { role: 'assistant', name: 'Persona', content: 'Hello.' },
];

/** A JSON file that may be absent ({}), but must parse when present. */
export function readOptionalJson(file: string): Record<string, unknown> {
  if (!existsSync(file)) return {};
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new PersonaError('model_corrupt', `${file}: not valid JSON (${(error as Error).message}).`, { file });
  }
}

/** Tokenizer, template and config checks shared by full and adapter folders. */
function loadTokenizerParts(tokenizerDir: string, config: LlamaConfig) {
  const { tokenizerJson, tokenizerConfig } = readTokenizerFiles(tokenizerDir);
  const tokenizerFile = join(tokenizerDir, 'tokenizer.json');
  const tokenizer = createTokenizer(tokenizerJson, tokenizerConfig, tokenizerFile);
  if (tokenizer.vocabSize > config.vocab_size) {
    throw new PersonaError(
      'tokenizer_mismatch',
      `${tokenizerFile}: the tokenizer has ${tokenizer.vocabSize} tokens but config.json's vocab_size (the embedding rows) is ${config.vocab_size}.`,
      { file: tokenizerFile },
    );
  }
  renderChat(tokenizerConfig, PROBE_CONVERSATION, { addGenerationPrompt: true, generationName: 'Persona' }, join(tokenizerDir, 'tokenizer_config.json'));
  return { tokenizer, tokenizerJson, tokenizerConfig };
}

export type ModelFolderMetadata = Omit<ModelFolder, 'weights' | 'adapter'>;

/**
 * Everything but the weights, validated (config, generation config, tokenizer against
 * vocab_size, chat template): what serving needs when the weights live in onnx/model.onnx.
 */
export function loadModelFolderMetadata(dir: string): ModelFolderMetadata {
  if (!existsSync(dir)) throw new PersonaError('model_not_found', `${dir} does not exist.`, { file: dir });
  const config = readLlamaConfig(dir);
  const generationConfig = readOptionalJson(join(dir, 'generation_config.json'));
  return { dir, config, generationConfig, ...loadTokenizerParts(dir, config) };
}

export function loadModelFolder(dir: string): ModelFolder {
  const adapterOnly = existsSync(join(dir, 'adapter_config.json')) && !existsSync(join(dir, 'config.json'));
  if (adapterOnly) return loadAdapterFolder(dir);
  const metadata = loadModelFolderMetadata(dir);
  const weights = readLlamaWeights(dir, metadata.config);
  const adapter = existsSync(join(dir, 'adapter_config.json')) ? readAdapter(dir, metadata.config) : undefined;
  return { ...metadata, weights, ...(adapter ? { adapter } : {}) };
}

/** An adapter-only folder: weights and config come from the base it points to. */
function loadAdapterFolder(dir: string): ModelFolder {
  const probe = readAdapter(dir);
  const base = loadModelFolder(probe.baseDir);
  const adapter = readAdapter(dir, base.config);
  const hasOwnTokenizer = existsSync(join(dir, 'tokenizer.json'));
  const tokenizerParts = hasOwnTokenizer ? loadTokenizerParts(dir, base.config) : base;
  return {
    dir,
    config: base.config,
    generationConfig: { ...base.generationConfig, ...readOptionalJson(join(dir, 'generation_config.json')) },
    tokenizer: tokenizerParts.tokenizer,
    tokenizerConfig: tokenizerParts.tokenizerConfig,
    tokenizerJson: tokenizerParts.tokenizerJson,
    weights: base.weights,
    adapter,
  };
}
