/**
 * The one writer of model folders (pretraining's bundled base, the trainer's versions):
 * config.json, generation_config.json, the tokenizer files, model.safetensors, optionally a
 * PEFT adapter and onnx/model.onnx (exported now, so serving never writes into a model
 * folder), and any extra files. The folder is built in a hidden temp sibling
 * (`.tmp-<name>-<n>-<pid>`, see src/util/atomic-write.ts), validated as serving would open it
 * (config, tokenizer against vocab_size, chat template), then renamed into place: a failure
 * or a crash never leaves a half-written folder under the real name, and a dead writer's
 * leftovers are removed by the next write. An existing folder is replaced only when asked
 * (the trainer never replaces a version; pretraining replaces the bundled base).
 */
import { copyFileSync, existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { PersonaError } from '../errors.js';
import { removeStaleTemps, temporaryFolderFor } from '../util/atomic-write.js';
import { llamaParameterShapes, readLlamaConfig, type LlamaConfig } from './hf-config.js';
import { loadModelFolderMetadata } from './model-folder.js';
import { INFERENCE_ONNX_PATH, recordExternalData, writeInferenceOnnxFrom } from './onnx/folder-graph.js';
import type { OnnxWriteOptions } from './onnx/onnx-model-file.js';
import { writeSafetensors, type TensorToWrite } from './safetensors.js';

/** Tokenizer files of the common Hugging Face layouts; whichever a source folder has are copied. */
const TOKENIZER_FILES = [
  'tokenizer.json',
  'tokenizer_config.json',
  'special_tokens_map.json',
  'vocab.json',
  'merges.txt',
  'tokenizer.model',
  'added_tokens.json',
];

export interface ModelFolderContents {
  /** config.json: a parsed config or a base's raw JSON (its extra fields are kept). */
  config: LlamaConfig | Record<string, unknown>;
  /** generation_config.json; by default the config's bos/eos/pad ids with sampling on. */
  generationConfig?: Record<string, unknown>;
  /** The tokenizer as JSON documents, or the folder whose tokenizer files are copied. */
  tokenizer: { json: Record<string, unknown>; config: Record<string, unknown> } | { copyFrom: string };
  /** Every parameter config.json implies, by Hugging Face name. */
  weights: Map<string, Float32Array>;
  /** F16 halves the size (the bundled base ships this way); F32 is exact. */
  dtype?: 'F32' | 'F16';
  /** PEFT's adapter_config.json and adapter_model.safetensors. */
  adapter?: { config: Record<string, unknown>; weights: Map<string, Float32Array>; shapes: Map<string, number[]> };
  /**
   * Export onnx/model.onnx from the weights now (what serving loads); large models get
   * onnx/model.onnx_data beside it (the threshold is an option so tests can force it).
   */
  onnx?: boolean | OnnxWriteOptions;
  /** More files: name inside the folder → contents (README.md, training.json, metrics.jsonl). */
  extraFiles?: Record<string, string | Buffer>;
}

export interface WriteModelFolderOptions {
  /** Replace an existing folder (after the new one is complete); otherwise an existing one is an error. */
  overwrite?: boolean;
}

/** Writes `dir` atomically; returns the path of its onnx/model.onnx when one was written. */
export function writeModelFolder(dir: string, contents: ModelFolderContents, options: WriteModelFolderOptions = {}): { dir: string; onnx?: string } {
  if (existsSync(dir) && !options.overwrite)
    throw new PersonaError('invalid_argument', `${dir} already exists; model folders are replaced only when asked (versions never are).`, { dir });
  mkdirSync(dirname(dir), { recursive: true });
  removeStaleTemps(dirname(dir), '.tmp-');
  const temp = temporaryFolderFor(dir);
  mkdirSync(temp);
  try {
    const dtype = contents.dtype ?? 'F32';
    writeJson(join(temp, 'config.json'), { ...contents.config, torch_dtype: dtype === 'F16' ? 'float16' : 'float32' });
    const config = readLlamaConfig(temp);
    writeJson(join(temp, 'generation_config.json'), contents.generationConfig ?? defaultGenerationConfig(config));
    writeTokenizer(temp, contents.tokenizer);
    writeSafetensors(join(temp, 'model.safetensors'), withShapes(contents.weights, llamaParameterShapes(config), 'config.json implies it'), {
      dtype,
      metadata: { format: 'pt' },
    });
    if (contents.adapter) {
      writeJson(join(temp, 'adapter_config.json'), contents.adapter.config);
      writeSafetensors(join(temp, 'adapter_model.safetensors'), withShapes(contents.adapter.weights, contents.adapter.shapes, 'the adapter declares it'), {
        dtype: 'F32',
        metadata: { format: 'pt' },
      });
    }
    for (const [name, data] of Object.entries(contents.extraFiles ?? {})) writeFileSync(join(temp, name), data);
    loadModelFolderMetadata(temp);
    if (contents.onnx) {
      writeInferenceOnnxFrom(config, contents.weights, join(temp, INFERENCE_ONNX_PATH), {}, contents.onnx === true ? {} : contents.onnx);
      recordExternalData(temp);
    }
    replaceDir(temp, dir);
  } catch (error) {
    rmSync(temp, { recursive: true, force: true });
    throw error;
  }
  return contents.onnx ? { dir, onnx: join(dir, INFERENCE_ONNX_PATH) } : { dir };
}

function writeTokenizer(temp: string, tokenizer: ModelFolderContents['tokenizer']): void {
  if ('json' in tokenizer) {
    writeJson(join(temp, 'tokenizer.json'), tokenizer.json);
    writeJson(join(temp, 'tokenizer_config.json'), tokenizer.config);
    return;
  }
  for (const name of TOKENIZER_FILES) {
    const source = join(tokenizer.copyFrom, name);
    if (existsSync(source)) copyFileSync(source, join(temp, name));
  }
}

/** Pairs every tensor with its declared shape: a missing or undeclared tensor is an error, never dropped. */
function withShapes(data: Map<string, Float32Array>, shapes: Map<string, number[]>, why: string): Map<string, TensorToWrite> {
  const out = new Map<string, TensorToWrite>();
  for (const [name, shape] of shapes) {
    const tensor = data.get(name);
    if (!tensor) throw new PersonaError('model_corrupt', `Weight "${name}" is missing while writing a model folder (${why}).`, { tensor: name });
    out.set(name, { shape, data: tensor });
  }
  for (const name of data.keys())
    if (!shapes.has(name)) throw new PersonaError('model_corrupt', `No known shape for tensor ${name} while writing a model folder.`, { tensor: name });
  return out;
}

function defaultGenerationConfig(config: LlamaConfig): Record<string, unknown> {
  return {
    bos_token_id: config.bos_token_id ?? undefined,
    eos_token_id: config.eos_token_id ?? undefined,
    pad_token_id: config.pad_token_id ?? undefined,
    do_sample: true,
  };
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

const writeJson = (file: string, value: unknown) => writeFileSync(file, `${JSON.stringify(value, null, 2)}\n`);
