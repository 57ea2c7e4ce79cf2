/**
 * Hook to the ONNX inference exporter (src/modelfmt/onnx/export.ts, issue 4): writes
 * `onnx/model.onnx` into a model version folder being built. Imported lazily so that the
 * trainer still produces a loadable safetensors folder when the exporter is absent (inference
 * then exports on first load); any other failure of the exporter is a real error.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LlamaConfig } from '../../modelfmt/config.js';
import type { Params } from './optimizers.js';

const EXPORTER = '../../modelfmt/onnx/export.js';

/** Returns the written path, or null when no exporter is installed. */
export async function exportInferenceOnnxHook(folder: string, config: LlamaConfig, weights: Params): Promise<string | null> {
  let exporter: { exportInferenceOnnx?: (config: LlamaConfig, weights: Params) => Uint8Array };
  try {
    exporter = await import(EXPORTER);
  } catch (error) {
    if ((error as { code?: string }).code === 'ERR_MODULE_NOT_FOUND') return null;
    throw error;
  }
  if (!exporter.exportInferenceOnnx) return null;
  const file = join(folder, 'onnx', 'model.onnx');
  mkdirSync(join(folder, 'onnx'), { recursive: true });
  writeFileSync(file, exporter.exportInferenceOnnx(config, weights));
  return file;
}
