/**
 * Weight preparation for the inference graph: checks every Hugging Face parameter is present
 * with the shape LlamaConfig implies, transposes Linear weights from HF's [out, in] to the
 * [in, out] layout ONNX MatMul wants, and quantizes them to int8 when asked.
 */
import { PersonaError } from '../../errors.js';
import { llamaParameterShapes, type LlamaConfig } from '../hf-config.js';

/** Returns the named weight after checking its size against the config-implied shape. */
export function weightFor(config: LlamaConfig, weights: Map<string, Float32Array>, name: string): Float32Array {
  const shape = llamaParameterShapes(config).get(name);
  const data = weights.get(name);
  if (!shape) throw new PersonaError('model_corrupt', `Parameter "${name}" is not part of a model with this config.`, { parameter: name });
  if (!data) throw new PersonaError('model_corrupt', `Model weights are missing parameter "${name}" (shape [${shape.join(', ')}]).`, { parameter: name });
  const expected = shape.reduce((a, b) => a * b, 1);
  if (data.length !== expected) {
    throw new PersonaError(
      'model_corrupt',
      `Parameter "${name}" has ${data.length} values but config.json implies shape [${shape.join(', ')}] (${expected}).`,
      {
        parameter: name,
      },
    );
  }
  return data;
}

/** [rows, cols] row-major → [cols, rows]; optionally scaled (used to fold the attention scale into q_proj). */
export function transposed(data: Float32Array, rows: number, cols: number, scale = 1): Float32Array {
  const out = new Float32Array(data.length);
  for (let r = 0; r < rows; r++) {
    const rowStart = r * cols;
    for (let c = 0; c < cols; c++) out[c * rows + r] = data[rowStart + c] * scale;
  }
  return out;
}

/** Stacks HF Linear weights along the output dimension (e.g. q, k, v → one fused projection). */
export function stackedRows(parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

export interface Int8Weight {
  /** [in, out] row-major int8 values, stored in a Uint8Array for the builder's raw bytes. */
  values: Uint8Array;
  /** One scale per output column: w ≈ values * scale. */
  scales: Float32Array;
}

/**
 * Symmetric per-output-column int8 quantization of an [in, out] matrix. Symmetric (zero
 * point 0) keeps MatMulInteger's weight zero point at its default, which ORT's fused
 * DynamicQuantizeMatMul kernel handles fastest.
 */
export function quantizedInt8(data: Float32Array, rows: number, cols: number): Int8Weight {
  const scales = new Float32Array(cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) scales[c] = Math.max(scales[c], Math.abs(data[r * cols + c]));
  }
  for (let c = 0; c < cols; c++) scales[c] = scales[c] > 0 ? scales[c] / 127 : 1;
  const values = new Int8Array(data.length);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) values[r * cols + c] = Math.max(-127, Math.min(127, Math.round(data[r * cols + c] / scales[c])));
  }
  return { values: new Uint8Array(values.buffer), scales };
}
