/**
 * Tensor encodings of a GGUF file, bit for bit as ggml's reference quantizers write them
 * (ggml-quants.c `quantize_row_q8_0_ref`, `quantize_row_q4_0_ref`): blocks of 32 values along
 * a row, each with a float16 scale. Arithmetic is done in float32 (Math.fround) as the C code
 * does, so our bytes equal llama-quantize's for the same input.
 */
import { float16ToFloat32, float32ToFloat16 } from '../half.js';
import type { GgufTensor } from './writer.js';

/** general.quantization_version of the block layouts below (GGML_QNT_VERSION). */
export const GGML_QUANT_VERSION = 2;

/** ggml_type ids (ggml.h). */
export const GGML_TYPE = { F32: 0, F16: 1, Q4_0: 2, Q8_0: 8 } as const;
export type GgmlTypeName = keyof typeof GGML_TYPE;

/** Values per block and bytes per block. */
const LAYOUT: Record<GgmlTypeName, { block: number; bytes: number }> = {
  F32: { block: 1, bytes: 4 },
  F16: { block: 1, bytes: 2 },
  Q4_0: { block: 32, bytes: 18 },
  Q8_0: { block: 32, bytes: 34 },
};

export function blockSize(type: GgmlTypeName): number {
  return LAYOUT[type].block;
}

export function encodedByteLength(type: GgmlTypeName, count: number): number {
  const { block, bytes } = LAYOUT[type];
  return (count / block) * bytes;
}

/** C's roundf: halves away from zero (Math.round rounds them up). */
function roundf(x: number): number {
  return x < 0 ? -Math.floor(-x + 0.5) : Math.floor(x + 0.5);
}

/** block_q8_0: fp16 d = amax/127, then 32 int8 round(x/d). */
function quantizeQ8_0(values: Float32Array): Uint8Array {
  const blocks = values.length / 32;
  const out = new Uint8Array(blocks * 34);
  const scales = new Float32Array(blocks);
  const fr = Math.fround;
  for (let b = 0; b < blocks; b++) {
    const base = b * 32;
    let amax = 0;
    for (let j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(values[base + j]));
    const d = fr(amax / 127);
    const id = d ? fr(1 / d) : 0;
    scales[b] = d;
    for (let j = 0; j < 32; j++) out[b * 34 + 2 + j] = roundf(fr(values[base + j] * id)) & 0xff;
  }
  writeScales(out, scales, 34);
  return out;
}

/** block_q4_0: fp16 d = (signed value of largest magnitude)/-8, nibbles min(15, trunc(x/d + 8.5)); element j low, j+16 high. */
function quantizeQ4_0(values: Float32Array): Uint8Array {
  const blocks = values.length / 32;
  const out = new Uint8Array(blocks * 18);
  const scales = new Float32Array(blocks);
  const fr = Math.fround;
  for (let b = 0; b < blocks; b++) {
    const base = b * 32;
    let amax = 0;
    let max = 0;
    for (let j = 0; j < 32; j++) {
      const v = values[base + j];
      if (amax < Math.abs(v)) {
        amax = Math.abs(v);
        max = v;
      }
    }
    const d = fr(max / -8);
    const id = d ? fr(1 / d) : 0;
    scales[b] = d;
    for (let j = 0; j < 16; j++) {
      const lo = Math.min(15, Math.trunc(fr(fr(values[base + j] * id) + 8.5)));
      const hi = Math.min(15, Math.trunc(fr(fr(values[base + 16 + j] * id) + 8.5)));
      out[b * 18 + 2 + j] = lo | (hi << 4);
    }
  }
  writeScales(out, scales, 18);
  return out;
}

function writeScales(out: Uint8Array, scales: Float32Array, stride: number): void {
  const halves = float32ToFloat16(scales);
  for (let b = 0; b < halves.length; b++) {
    out[b * stride] = halves[b] & 0xff;
    out[b * stride + 1] = halves[b] >> 8;
  }
}

/** Encodes a row-major tensor whose rows are a multiple of the type's block size. */
export function encodeTensor(values: Float32Array, type: GgmlTypeName): Uint8Array {
  switch (type) {
    case 'F32':
      return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
    case 'F16': {
      const halves = float32ToFloat16(values);
      return new Uint8Array(halves.buffer, halves.byteOffset, halves.byteLength);
    }
    case 'Q8_0':
      return quantizeQ8_0(values);
    case 'Q4_0':
      return quantizeQ4_0(values);
  }
}

/** A GGUF tensor of HF shape `shape` (row-major, last dimension fastest), encoded as `type` when written. */
export function ggufTensor(name: string, shape: number[], type: GgmlTypeName, data: () => Float32Array): GgufTensor {
  const count = shape.reduce((a, b) => a * b, 1);
  return { name, dims: [...shape].reverse(), ggmlType: GGML_TYPE[type], byteLength: encodedByteLength(type, count), bytes: () => encodeTensor(data(), type) };
}

/** Inverse of encodeTensor for the block types (tests, accuracy checks). */
export function decodeBlocks(bytes: Uint8Array, type: 'Q8_0' | 'Q4_0'): Float32Array {
  const { bytes: stride } = LAYOUT[type];
  const blocks = bytes.length / stride;
  const out = new Float32Array(blocks * 32);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const scales = float16ToFloat32(Uint16Array.from({ length: blocks }, (_, b) => view.getUint16(b * stride, true)));
  for (let b = 0; b < blocks; b++) {
    const d = scales[b];
    for (let j = 0; j < (type === 'Q8_0' ? 32 : 16); j++) {
      const byte = bytes[b * stride + 2 + j];
      if (type === 'Q8_0') out[b * 32 + j] = ((byte << 24) >> 24) * d;
      else {
        out[b * 32 + j] = ((byte & 0x0f) - 8) * d;
        out[b * 32 + 16 + j] = ((byte >> 4) - 8) * d;
      }
    }
  }
  return out;
}
