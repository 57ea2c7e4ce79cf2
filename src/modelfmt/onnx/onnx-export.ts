/**
 * Public entry point of the ONNX inference exporter: HF-named weights of any supported family in, the bytes of
 * `onnx/model.onnx` out (weights as initializers, KV cache, Optimum-style names).
 * The trainer calls this after writing a model version; inference calls it lazily for model
 * folders that have no ONNX file yet.
 */
import { parseLlamaConfig, type LlamaConfig } from '../hf-config.js';
import type { InferenceGraphOptions } from './graph-format.js';
import { buildLlamaInferenceModel } from './llama-graph.js';
import { encodeModel, type OnnxModel } from './onnx-builder.js';

export function exportInferenceOnnx(config: LlamaConfig, weights: Map<string, Float32Array>, options: InferenceGraphOptions = {}): Uint8Array {
  return encodeModel(exportInferenceModel(config, weights, options));
}

/** The same graph unserialized: for writing to a file, large weights in an external data file (onnx-model-file.ts). */
export function exportInferenceModel(config: LlamaConfig, weights: Map<string, Float32Array>, options: InferenceGraphOptions = {}): OnnxModel {
  // Re-validate: callers may hand us a hand-built object rather than a parsed config.json.
  return buildLlamaInferenceModel(parseLlamaConfig(config), weights, options);
}
