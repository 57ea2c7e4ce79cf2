/**
 * Writes a trained model version as a Hugging Face model folder under
 * DATA_DIR/models/<persona>/<version>/ through the model-folder writer
 * (src/modelfmt/model-folder-write.ts: atomic, validated, onnx/model.onnx exported now so
 * serving never writes into the folder): the base's config and tokenizer files, the full or
 * LoRA-merged weights (float32), for LoRA also PEFT's adapter files, and training.json.
 * A version is never overwritten.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LlamaConfig } from '../../modelfmt/hf-config.js';
import { readOptionalJson } from '../../modelfmt/model-folder.js';
import { writeModelFolder } from '../../modelfmt/model-folder-write.js';
import type { OnnxWriteOptions } from '../../modelfmt/onnx/onnx-model-file.js';
import type { LoraOptions } from '../lora-adapters.js';
import { adapterConfig } from './lora-merge.js';
import type { Params } from './optimizers.js';

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
  /** How onnx/model.onnx is written: large models get onnx/model.onnx_data (a lower threshold for tests). */
  onnx?: OnnxWriteOptions;
}

export interface WrittenVersion {
  dir: string;
  onnx: string;
}

export async function writeVersionFolder(input: VersionFolderInput): Promise<WrittenVersion> {
  const generation = join(input.baseDir, 'generation_config.json');
  const extraFiles: Record<string, string | Buffer> = { 'training.json': `${JSON.stringify(input.training, null, 2)}\n` };
  for (const [name, source] of Object.entries(input.extraFiles ?? {})) extraFiles[name] = readFileSync(source);
  const written = writeModelFolder(join(input.personaModelsDir, input.version), {
    config: readOptionalJson(join(input.baseDir, 'config.json')),
    generationConfig: existsSync(generation) ? readOptionalJson(generation) : undefined,
    tokenizer: { copyFrom: input.baseDir },
    weights: input.weights,
    adapter: input.adapter && { config: adapterConfig(input.adapter.settings, input.baseDir), weights: input.adapter.params, shapes: input.adapter.shapes },
    onnx: input.onnx ?? true,
    extraFiles,
  });
  return { dir: written.dir, onnx: written.onnx! };
}
