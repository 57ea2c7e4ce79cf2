/**
 * The model folder format shared by training (writes), inference (reads) and Hugging Face
 * tools: config.json, generation_config.json, tokenizer.json, tokenizer_config.json (with a
 * chat template), model.safetensors (or shards + index) and optionally a PEFT adapter.
 *
 * `loadModelFolder` validates everything a later step would trip over and fails once, with
 * a PersonaError naming the file ('model_corrupt', 'tokenizer_mismatch', 'template_error').
 * `saveModelFolder` builds the folder in a temp sibling, validates it by loading it, then
 * renames it into place, so a failure never leaves a half-written or overwritten folder.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { PersonaError } from '../errors.js';
import { readLlamaConfig, type LlamaConfig, llamaParameterShapes } from './hf-config.js';
import { renderChat, type TokenizerConfig } from './chat-render.js';
import { createTokenizer, readTokenizerFiles, type Tokenizer } from './tokenizer.js';
import { readLlamaWeights } from './folder-weights.js';
import { readAdapter, type LoadedAdapter } from './peft.js';
import { writeSafetensors, type TensorToWrite } from './safetensors.js';

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

export interface ModelFolderParts {
  config: LlamaConfig | Record<string, unknown>;
  generationConfig?: Record<string, unknown>;
  tokenizerJson: Record<string, unknown>;
  tokenizerConfig: Record<string, unknown>;
  weights: Map<string, Float32Array>;
  /** F16 halves the size (the bundled base ships this way); F32 is exact. */
  dtype?: 'F32' | 'F16';
  /** More files: name inside the folder → contents (e.g. README.md). */
  extraFiles?: Record<string, string | Buffer>;
}

const writeJson = (file: string, value: unknown) => writeFileSync(file, `${JSON.stringify(value, null, 2)}\n`);

/**
 * Writes a complete model folder atomically. An existing folder is replaced only when
 * `overwrite` is set, and only after the new one has been written and validated.
 */
export function saveModelFolder(dir: string, parts: ModelFolderParts, options: { overwrite?: boolean } = {}): ModelFolder {
  if (existsSync(dir) && !options.overwrite) throw new PersonaError('invalid_argument', `${dir} already exists; pass overwrite to replace it.`, { file: dir });
  mkdirSync(dirname(dir), { recursive: true });
  const temp = join(dirname(dir), `.tmp-${basename(dir)}-${process.pid}-${Date.now()}`);
  mkdirSync(temp);
  try {
    writeJson(join(temp, 'config.json'), { architectures: ['LlamaForCausalLM'], ...parts.config, torch_dtype: parts.dtype === 'F16' ? 'float16' : 'float32' });
    writeJson(join(temp, 'generation_config.json'), parts.generationConfig ?? {});
    writeJson(join(temp, 'tokenizer.json'), parts.tokenizerJson);
    writeJson(join(temp, 'tokenizer_config.json'), parts.tokenizerConfig);
    const config = readLlamaConfig(temp);
    const tensors = new Map<string, TensorToWrite>();
    for (const [name, shape] of llamaParameterShapes(config)) {
      const data = parts.weights.get(name);
      if (!data) throw new PersonaError('model_corrupt', `saveModelFolder: weight "${name}" is missing (config.json implies it).`, { tensor: name });
      tensors.set(name, { shape, data });
    }
    writeSafetensors(join(temp, 'model.safetensors'), tensors, { dtype: parts.dtype ?? 'F32', metadata: { format: 'pt' } });
    for (const [name, contents] of Object.entries(parts.extraFiles ?? {})) writeFileSync(join(temp, name), contents);
    loadModelFolder(temp);
    replaceDir(temp, dir);
  } catch (error) {
    rmSync(temp, { recursive: true, force: true });
    throw error;
  }
  return loadModelFolder(dir);
}

/** Swap via a backup name so the old folder exists until the new one is in place. */
function replaceDir(source: string, target: string): void {
  if (!existsSync(target)) return renameSync(source, target);
  const backup = `${source}.old`;
  renameSync(target, backup);
  try {
    renameSync(source, target);
  } catch (error) {
    renameSync(backup, target);
    throw error;
  }
  rmSync(backup, { recursive: true, force: true });
}
