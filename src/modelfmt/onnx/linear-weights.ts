/**
 * Linear layers in the inference graph, and which weight format each gets: fp32 MatMul,
 * per-column int8 (DynamicQuantizeLinear + MatMulInteger, fused by ONNX Runtime at load) or
 * llama.cpp-style blocks (com.microsoft MatMulNBits). Fused projections (q/k/v, gate/up) are
 * one weight stacked along the output dimension, so every format stays per output column or
 * per block of one column.
 */
import { tensor } from './onnx-builder.js';
import { blockQuantized, QUANT_BLOCK, type BlockBits } from './block-quant.js';
import type { GraphContext } from './graph-context.js';
import type { GraphQuantization, InferenceGraphOptions } from './graph-format.js';
import { quantizedInt8, transposed } from './graph-weights.js';

const NBITS: Partial<Record<GraphQuantization, BlockBits>> = { q8: 8, q4: 4 };

/** MatMulNBits' accuracy_level 4: int8 activations, the level ONNX Runtime's CPU kernels are fast at. */
const INT8_ACTIVATIONS = 4;

/**
 * lm_head of a block-quantized graph stays 8-bit per output column (DynamicQuantizeMatMul): like
 * llama.cpp's q4_0, which keeps its output matrix at 8 bits, and measured no less accurate
 * than q8 blocks there (top-1 vs fp32, reference paragraph: base 100% either way, 135M shape
 * 90.5% against 89.7%) while ONNX Runtime's kernel for it is the faster one for the largest matrix.
 */
function lmHeadQuantization(options: InferenceGraphOptions): GraphQuantization | undefined {
  if (options.lmHead) return options.lmHead;
  return options.quantize === 'q8' || options.quantize === 'q4' ? 'int8' : options.quantize;
}

/**
 * The format of one Linear weight. `int8` quantizes o_proj and down_proj in q8 blocks: their
 * inputs (attention context, the gated MLP's product) carry the activation outliers that one
 * scale per activation row rounds away, and MatMulNBits quantizes activations per 32. Measured,
 * top-1 agreement with fp32 (Gettysburg / Pride and Prejudice openings): base 96.6/94.0% with
 * per-column int8 everywhere, 100/95.7% with these two in blocks, 100/97.4% all q8; 135M shape
 * 87.1/91.4%, 92.2/95.7%, 93.1/94.8%; for ~6% of a 135M decode step (profile 10.8 → 11.5 ms).
 */
function layerQuantization(name: string, options: InferenceGraphOptions): GraphQuantization | undefined {
  if (name === 'lm_head.weight') return lmHeadQuantization(options);
  if (options.quantize === 'int8' && /\.(o_proj|down_proj)\.weight$/.test(name)) return 'q8';
  return options.quantize;
}

/** x [.., in] × W^T (+ bias) where `hfWeight` is HF's [out, in] matrix (already stacked/scaled as needed). */
export function linearNodes(
  g: GraphContext,
  x: string,
  name: string,
  hfWeight: Float32Array,
  outFeatures: number,
  inFeatures: number,
  bias?: Float32Array,
  output?: string,
): string {
  const { b } = g;
  const out = bias ? undefined : output;
  const quantize = layerQuantization(name, g.options);
  const bits = quantize && NBITS[quantize];
  let y: string;
  if (bits) {
    const q = blockQuantized(hfWeight, outFeatures, inFeatures, bits); // HF's [out, in] is MatMulNBits' layout
    const wq = b.initializer(`${name}_q${bits}`, tensor('uint8', [outFeatures, q.blocks, (QUANT_BLOCK * bits) / 8], q.packed));
    const ws = b.initializer(`${name}_scales`, tensor('float32', [outFeatures * q.blocks], q.scales));
    const attrs = { K: inFeatures, N: outFeatures, bits, block_size: QUANT_BLOCK, accuracy_level: INT8_ACTIVATIONS };
    y = b.node('MatMulNBits', [x, wq, ws], attrs, out ? [out] : 1, 'com.microsoft')[0];
  } else if (quantize !== 'int8') {
    const w = transposed(hfWeight, outFeatures, inFeatures); // (in, out)
    y = b.op('MatMul', [x, b.initializer(name, tensor('float32', [inFeatures, outFeatures], w))], {}, out);
  } else {
    const w = transposed(hfWeight, outFeatures, inFeatures); // (in, out)
    const q = quantizedInt8(w, inFeatures, outFeatures);
    const wq = b.initializer(`${name}_quantized`, tensor('int8', [inFeatures, outFeatures], q.values));
    const ws = b.initializer(`${name}_scale`, tensor('float32', [outFeatures], q.scales));
    // The exact chain ORT's DynamicQuantizeMatMulFusion turns into one fused kernel at load.
    const [xq, xs, xzp] = b.node('DynamicQuantizeLinear', [x], {}, 3);
    const acc = b.op('MatMulInteger', [xq, wq, xzp]);
    const accF = b.op('Cast', [acc], { to: 1 });
    y = b.op('Mul', [accF, b.op('Mul', [xs, ws])], {}, out);
  }
  if (!bias) return y;
  return b.op('Add', [y, b.initializer(name.replace(/\.weight$/, '.bias'), tensor('float32', [outFeatures], bias))], {}, output);
}
