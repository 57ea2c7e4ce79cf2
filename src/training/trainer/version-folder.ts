/**
 * Writes a trained model version as a Hugging Face model folder under
 * DATA_DIR/models/<persona>/<version>/: config.json, generation_config.json, the base's
 * tokenizer files, model.safetensors (full or LoRA-merged weights, float32), for LoRA also
 * PEFT's adapter_config.json + adapter_model.safetensors, onnx/model.onnx (so serving never
 * has to export into the folder), and training.json. Built in a hidden temp folder beside the target and renamed
 * into place, so a crash leaves either no version or a complete one (its temp folder is
 * removed by the next write), and earlier versions are never touched.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PersonaError } from '../../errors.js';
import { llamaParameterShapes, type LlamaConfig } from '../../modelfmt/hf-config.js';
import { INFERENCE_ONNX_PATH, writeInferenceOnnxFrom } from '../../modelfmt/onnx/folder-graph.js';
import { writeSafetensors, type TensorToWrite } from '../../modelfmt/safetensors.js';
import { adapterConfig } from './lora-merge.js';
import type { LoraOptions } from '../lora-adapters.js';
import type { Params } from './optimizers.js';
import { removeStaleTemps } from './stale-temps.js';

/** Tokenizer files of the common HF layouts; whichever the base has are copied. */
const TOKENIZER_FILES = [
  'tokenizer.json',
  'tokenizer_config.json',
  'special_tokens_map.json',
  'vocab.json',
  'merges.txt',
  'tokenizer.model',
  'added_tokens.json',
];

export interface VersionFolderInput {
  /** DATA_DIR/models/<persona> */
  personaModelsDir: string;
  version: string;
  baseDir: string;
  config: LlamaConfig;
  /** Complete model weights (HF names) to ship as model.safetensors. */
  weights: Params;
  adapter?: { params: Params; shapes: Map<string, number[]>; settings: LoraOptions };
  training: Record<string, unknown>;
  /** More files to copy in: name inside the folder → source path (e.g. the metrics log). */
  extraFiles?: Record<string, string>;
}

export interface WrittenVersion {
  dir: string;
  onnx: string;
}

export async function writeVersionFolder(input: VersionFolderInput): Promise<WrittenVersion> {
  const finalDir = join(input.personaModelsDir, input.version);
  if (existsSync(finalDir))
    throw new PersonaError('invalid_argument', `Model version ${finalDir} already exists; versions are never overwritten.`, { dir: finalDir });
  removeStaleTemps(input.personaModelsDir, '.tmp-');
  const temp = join(input.personaModelsDir, `.tmp-${input.version}-${process.pid}`);
  rmSync(temp, { recursive: true, force: true });
  mkdirSync(temp, { recursive: true });
  try {
    const baseConfig = readJsonFile(join(input.baseDir, 'config.json'));
    writeJson(join(temp, 'config.json'), { ...baseConfig, torch_dtype: 'float32' });
    const generation = join(input.baseDir, 'generation_config.json');
    if (existsSync(generation)) copyFileSync(generation, join(temp, 'generation_config.json'));
    else writeJson(join(temp, 'generation_config.json'), defaultGenerationConfig(input.config));
    for (const name of TOKENIZER_FILES) if (existsSync(join(input.baseDir, name))) copyFileSync(join(input.baseDir, name), join(temp, name));

    writeSafetensors(join(temp, 'model.safetensors'), withShapes(input.weights, llamaParameterShapes(input.config)), {
      dtype: 'F32',
      metadata: { format: 'pt' },
    });
    if (input.adapter) {
      writeJson(join(temp, 'adapter_config.json'), adapterConfig(input.adapter.settings, input.baseDir));
      writeSafetensors(join(temp, 'adapter_model.safetensors'), withShapes(input.adapter.params, input.adapter.shapes), {
        dtype: 'F32',
        metadata: { format: 'pt' },
      });
    }
    writeInferenceOnnxFrom(input.config, input.weights, join(temp, INFERENCE_ONNX_PATH));
    for (const [name, source] of Object.entries(input.extraFiles ?? {})) copyFileSync(source, join(temp, name));
    writeJson(join(temp, 'training.json'), input.training);
    renameSync(temp, finalDir);
    return { dir: finalDir, onnx: join(finalDir, INFERENCE_ONNX_PATH) };
  } catch (error) {
    rmSync(temp, { recursive: true, force: true });
    throw error;
  }
}

function withShapes(params: Params, shapes: Map<string, number[]>): Map<string, TensorToWrite> {
  const out = new Map<string, TensorToWrite>();
  for (const [name, data] of params) {
    const shape = shapes.get(name);
    if (!shape) throw new PersonaError('model_corrupt', `No known shape for tensor ${name} while saving the model.`, { tensor: name });
    out.set(name, { shape, data });
  }
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

function readJsonFile(file: string): Record<string, unknown> {
  return JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
}

function writeJson(file: string, value: unknown): void {
  writeFileSync(file, `${JSON.stringify(value, null, 2)}\n`);
}
