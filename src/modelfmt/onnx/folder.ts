/**
 * Writes `onnx/model.onnx` into a model folder (config.json + safetensors weights, single or
 * sharded) when it is not there yet, so any folder a persona points at can be served, and
 * replaces one that an older version of our exporter wrote (its producer_version says which;
 * files from other tools are never touched), keeping its int8 quantization.
 * Adapter-only PEFT folders are not exported here: the trainer writes merged weights. The file is written to a
 * temporary name and renamed, so an interrupted export never leaves a half-written model.
 */
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readLlamaConfig } from '../config.js';
import { readLlamaWeights } from '../weights.js';
import { PRODUCER_NAME } from '../../onnx/builder.js';
import { exportInferenceOnnx, type ExportOnnxOptions } from './export.js';
import { inferenceGraphFormat } from './llama-graph.js';
import { readProducer } from './producer.js';

export { readProducer };

export const INFERENCE_ONNX_PATH = join('onnx', 'model.onnx');

/** Path of the folder's inference graph, exporting it first if missing or written by an older exporter. */
export function ensureInferenceOnnx(modelDir: string, options: ExportOnnxOptions = {}): string {
  const target = join(modelDir, INFERENCE_ONNX_PATH);
  if (!existsSync(target)) {
    writeInferenceOnnx(modelDir, options);
    return target;
  }
  const header = readProducer(target);
  if (header?.name !== PRODUCER_NAME) return target;
  // Before format tags, int8 exports were recognisable by their MatMulInteger nodes.
  const quantized = header.version ? header.version.endsWith('+int8') : readFileSync(target).includes('MatMulInteger');
  const current: ExportOnnxOptions = quantized ? { quantize: 'int8' } : {};
  if (header.version === inferenceGraphFormat(current) || refreshFailed.has(target) || !hasWeights(modelDir)) return target;
  try {
    writeInferenceOnnx(modelDir, current);
  } catch {
    // A read-only folder, a full disk, unreadable weights: the older graph still serves, and
    // this process does not try again (re-exporting is seconds of synchronous work).
    refreshFailed.add(target);
  }
  return target;
}

/** Outdated exports this process could not replace. */
const refreshFailed = new Set<string>();

function hasWeights(modelDir: string): boolean {
  return existsSync(join(modelDir, 'model.safetensors')) || existsSync(join(modelDir, 'model.safetensors.index.json'));
}

/** (Re)exports the folder's weights to onnx/model.onnx. */
export function writeInferenceOnnx(modelDir: string, options: ExportOnnxOptions = {}): string {
  const config = readLlamaConfig(modelDir);
  const weights = readLlamaWeights(modelDir, config);
  const bytes = exportInferenceOnnx(config, weights, options);
  const target = join(modelDir, INFERENCE_ONNX_PATH);
  mkdirSync(join(modelDir, 'onnx'), { recursive: true });
  const temporary = `${target}.${process.pid}.tmp`;
  try {
    writeFileSync(temporary, bytes);
    renameSync(temporary, target);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
  return target;
}
