/**
 * Writes `onnx/model.onnx` into a model folder (config.json + safetensors weights, single or
 * sharded) when it is not there yet, so any folder a persona points at can be served.
 * Adapter-only PEFT folders are not exported here: the trainer writes merged weights. The file is written to a
 * temporary name and renamed, so an interrupted export never leaves a half-written model.
 */
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readLlamaConfig } from '../config.js';
import { readLlamaWeights } from '../weights.js';
import { exportInferenceOnnx, type ExportOnnxOptions } from './export.js';

export const INFERENCE_ONNX_PATH = join('onnx', 'model.onnx');

/** Path of the folder's inference graph, exporting it first if missing. */
export function ensureInferenceOnnx(modelDir: string, options: ExportOnnxOptions = {}): string {
  const target = join(modelDir, INFERENCE_ONNX_PATH);
  if (existsSync(target)) return target;
  writeInferenceOnnx(modelDir, options);
  return target;
}

/** (Re)exports the folder's weights to onnx/model.onnx. */
export function writeInferenceOnnx(modelDir: string, options: ExportOnnxOptions = {}): string {
  const config = readLlamaConfig(modelDir);
  const weights = readLlamaWeights(modelDir, config);
  const bytes = exportInferenceOnnx(config, weights, options);
  const target = join(modelDir, INFERENCE_ONNX_PATH);
  mkdirSync(join(modelDir, 'onnx'), { recursive: true });
  const temporary = `${target}.${process.pid}.tmp`;
  writeFileSync(temporary, bytes);
  renameSync(temporary, target);
  return target;
}
