/**
 * Experiment for bench:generate (not a serving format): our fp32 ONNX graph with every
 * weight MatMul — and the tied lm_head Gemm — rewritten as com.microsoft MatMulNBits,
 * 4-bit, a float32 scale per 32 weights along K (symmetric, zero point 8, q4_0's rule
 * d = value of largest magnitude / −8), accuracy_level 4 (ONNX Runtime quantizes the
 * activations per block to int8 inside the kernel, as llama.cpp does). Measured against
 * llama.cpp's q4_0 on the same weights to see whether a 4-bit class would pay
 * (`npm run bench:generate -- --llama-cpp-only --with-int4`). First check, 2026-12-04: the
 * bundled base's graph shrinks from 25.8 to 16.0 MB and keeps fp32's top token at 97.5% of
 * the reference sentence; its speed is not yet measured (the shared machine's benchmark lock
 * was held by training benchmarks until the session ended), so serving does not use it.
 */
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;
const BLOCK = 32;

/** Weight [K, N] (or, transposed, [N, K]) → MatMulNBits B [N, K/32, 16] uint8 and scales [N·K/32]. */
function quantize4(w: Float32Array, k: number, n: number, transposed: boolean): { packed: Uint8Array; scales: Float32Array } {
  const blocks = k / BLOCK;
  const packed = new Uint8Array(n * blocks * 16);
  const scales = new Float32Array(n * blocks);
  const at = (row: number, col: number) => (transposed ? w[col * k + row] : w[row * n + col]);
  for (let col = 0; col < n; col++) {
    for (let b = 0; b < blocks; b++) {
      let amax = 0;
      let max = 0;
      for (let j = 0; j < BLOCK; j++) {
        const v = at(b * BLOCK + j, col);
        if (Math.abs(v) > amax) [amax, max] = [Math.abs(v), v];
      }
      const d = max / -8;
      const id = d ? 1 / d : 0;
      scales[col * blocks + b] = d;
      for (let j = 0; j < BLOCK; j += 2) {
        const q = (v: number) => Math.max(0, Math.min(15, Math.round(v * id) + 8));
        packed[(col * blocks + b) * 16 + j / 2] = q(at(b * BLOCK + j, col)) | (q(at(b * BLOCK + j + 1, col)) << 4);
      }
    }
  }
  return { packed, scales };
}

function floatData(t: onnxProto.onnx.ITensorProto): Float32Array {
  const raw = t.rawData as Uint8Array;
  return new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
}

export function toInt4(bytes: Uint8Array): Uint8Array {
  const model = onnx.ModelProto.decode(bytes);
  const graph = model.graph!;
  const initializers = graph.initializer!;
  const inits = new Map(initializers.map((t) => [t.name!, t]));
  const drop = new Set<string>();
  const nodes = graph.node!.map((node) => {
    const input = node.input!;
    const weight = inits.get(input[1] ?? '');
    const dims = weight?.dims ?? [];
    const transB = node.opType === 'Gemm' && node.attribute!.some((a) => a.name === 'transB' && Number(a.i) === 1) && input.length === 2;
    if (!weight || dims.length !== 2 || weight.dataType !== onnx.TensorProto.DataType.FLOAT || !(node.opType === 'MatMul' || transB)) return node;
    const [k, n] = transB ? [Number(dims[1]), Number(dims[0])] : [Number(dims[0]), Number(dims[1])];
    if (k % BLOCK !== 0) return node;
    const { packed, scales } = quantize4(floatData(weight), k, n, transB);
    const name = `${input[1]}_q4_${node.output![0]}`;
    initializers.push(
      onnx.TensorProto.create({ name, dims: [n, k / BLOCK, 16], dataType: onnx.TensorProto.DataType.UINT8, rawData: packed }),
      onnx.TensorProto.create({
        name: `${name}_scales`,
        dims: [n * (k / BLOCK)],
        dataType: onnx.TensorProto.DataType.FLOAT,
        rawData: new Uint8Array(scales.buffer),
      }),
    );
    if (node.opType === 'MatMul') drop.add(input[1]);
    const int = (attr: string, i: number) => onnx.AttributeProto.create({ name: attr, type: onnx.AttributeProto.AttributeType.INT, i });
    return onnx.NodeProto.create({
      name: `${node.name}_q4`,
      opType: 'MatMulNBits',
      domain: 'com.microsoft',
      input: [input[0], name, `${name}_scales`],
      output: node.output,
      attribute: [int('K', k), int('N', n), int('bits', 4), int('block_size', BLOCK), int('accuracy_level', 4)],
    });
  });
  graph.node = nodes;
  graph.initializer = initializers.filter((t) => !drop.has(t.name!));
  model.opsetImport = model.opsetImport ?? [];
  if (!model.opsetImport.some((o) => o.domain === 'com.microsoft'))
    model.opsetImport.push(onnx.OperatorSetIdProto.create({ domain: 'com.microsoft', version: 1 }));
  return onnx.ModelProto.encode(model).finish();
}
