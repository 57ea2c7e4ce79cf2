/**
 * Block-quantized Linear weights for ONNX Runtime's com.microsoft MatMulNBits: a float32 scale
 * per 32 consecutive weights along the input dimension, symmetric, with llama.cpp's rounding
 * rules so that our 8-bit and 4-bit weights carry what its q8_0 and q4_0 carry:
 *   8 bits: d = max|w| / 127, q = round(w / d) ∈ [-127, 127], stored as q + 128;
 *   4 bits: d = w_maxabs / -8 (the signed value of largest magnitude), q = clamp(round(w / d) + 8, 0, 15),
 *           two per byte, low nibble first.
 * MatMulNBits' default zero point is 2^(bits-1) (128 or 8), so no zero-point tensor is stored.
 * B is laid out [N, ceil(K/32), 32·bits/8] — Hugging Face's [out, in] order, so no transpose;
 * a last partial block is padded with zeros.
 *
 * Hand-written: the packing is a few lines and no maintained JavaScript package writes it.
 */
export const QUANT_BLOCK = 32;

export type BlockBits = 4 | 8;

export interface BlockQuantized {
  /** MatMulNBits input B: [N, blocks, QUANT_BLOCK * bits / 8] uint8. */
  packed: Uint8Array;
  /** One scale per (output row, block): [N * blocks]. */
  scales: Float32Array;
  blocks: number;
}

/** Quantizes HF's [out, in] row-major weight `w` (N = out, K = in). */
export function blockQuantized(w: Float32Array, out: number, inFeatures: number, bits: BlockBits): BlockQuantized {
  const blocks = Math.ceil(inFeatures / QUANT_BLOCK);
  const blockBytes = (QUANT_BLOCK * bits) / 8;
  const packed = new Uint8Array(out * blocks * blockBytes);
  const scales = new Float32Array(out * blocks);
  for (let n = 0; n < out; n++) {
    const row = n * inFeatures;
    for (let b = 0; b < blocks; b++) {
      const start = b * QUANT_BLOCK;
      const end = Math.min(start + QUANT_BLOCK, inFeatures);
      let amax = 0;
      let signedMax = 0;
      for (let k = start; k < end; k++) {
        const v = w[row + k];
        if (Math.abs(v) > amax) [amax, signedMax] = [Math.abs(v), v];
      }
      const at = (n * blocks + b) * blockBytes;
      if (bits === 8) {
        const d = amax / 127;
        const id = d ? 1 / d : 0;
        scales[n * blocks + b] = d;
        packed.fill(128, at, at + blockBytes);
        for (let k = start; k < end; k++) packed[at + k - start] = Math.round(w[row + k] * id) + 128;
      } else {
        const d = signedMax / -8;
        const id = d ? 1 / d : 0;
        scales[n * blocks + b] = d;
        const q = (k: number) => (k < end ? Math.max(0, Math.min(15, Math.round(w[row + k] * id) + 8)) : 8);
        for (let j = 0; j < QUANT_BLOCK; j += 2) packed[at + j / 2] = q(start + j) | (q(start + j + 1) << 4);
      }
    }
  }
  return { packed, scales, blocks };
}
