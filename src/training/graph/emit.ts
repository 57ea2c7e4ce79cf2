/**
 * Emits the IR as an ONNX model through OnnxGraphBuilder: only the nodes the requested
 * outputs depend on (so an evaluation graph drops the backward pass), in tape order, with
 * the requested output names given directly to the producing node — an Identity rename
 * would copy the tensor (see the prototype facts in DESIGN.md).
 */
import { OnnxGraphBuilder, tensor, type AttrValue, type ElemType } from '../../onnx/builder.js';
import type { DType, Graph, Tensor } from './ir.js';
import { RULES } from './ops.js';

export interface Emitter {
  node(op: string, inputs: string[], attrs?: Record<string, AttrValue>, outputs?: string[] | number): string[];
  /** A 1-D int64 constant (axes, shapes, slice bounds), shared between nodes. */
  ints(values: number[]): string;
  constant(dtype: DType, dims: number[], values: ArrayLike<number>): string;
  /** A zero tensor filled at run time (ConstantOfShape), not stored in the model. */
  zeros(shape: number[], dtype: DType, output?: string): string;
  elemCode(dtype: DType): number;
}

export interface EmittedModel {
  bytes: Uint8Array;
  /** Graph inputs the model actually reads, in declaration order. */
  inputs: string[];
  nodeCount: number;
}

const ELEM_CODE: Record<DType, number> = { float32: 1, float64: 11, int64: 7, bool: 9 };

function typedData(dtype: DType, values: ArrayLike<number> | BigInt64Array | Uint8Array) {
  if (dtype === 'float32') return values instanceof Float32Array ? values : Float32Array.from(values as ArrayLike<number>);
  if (dtype === 'float64') return values instanceof Float64Array ? values : Float64Array.from(values as ArrayLike<number>);
  if (dtype === 'int64') return values instanceof BigInt64Array ? values : BigInt64Array.from(Array.from(values as ArrayLike<number>, (v) => BigInt(v)));
  return values instanceof Uint8Array ? values : Uint8Array.from(values as ArrayLike<number>);
}

/** The tensor a CustomGrad alias stands for. */
const resolve = (t: Tensor): Tensor => (t.node.op === 'CustomGrad' ? resolve(t.node.inputs[0]) : t);

/** Ids of the nodes the given tensors depend on (what emitOnnx emits, CustomGrad aliases resolved). */
export function liveNodes(outputs: Tensor[]): Set<number> {
  const live = new Set<number>();
  const stack = outputs.map((t) => resolve(t).node);
  while (stack.length) {
    const node = stack.pop()!;
    if (live.has(node.id)) continue;
    live.add(node.id);
    for (const t of node.inputs) stack.push(resolve(t).node);
  }
  return live;
}

export function emitOnnx(graph: Graph, outputs: { name: string; tensor: Tensor }[], modelName = 'training_graph'): EmittedModel {
  const b = new OnnxGraphBuilder(modelName);
  const names = new Map<Tensor, string>();
  const intCache = new Map<string, string>();
  const e: Emitter = {
    node: (op, inputs, attrs = {}, outs = 1) => b.node(op, inputs, attrs, outs),
    ints(values) {
      const key = values.join(',');
      let name = intCache.get(key);
      if (!name) intCache.set(key, (name = b.constant('ints', tensor('int64', [values.length], typedData('int64', values) as BigInt64Array))));
      return name;
    },
    constant: (dtype, dims, values) => b.constant('const', tensor(dtype as ElemType, dims, typedData(dtype, values))),
    zeros: (shape, dtype, output) => b.node('ConstantOfShape', [e.ints(shape)], { value: tensor(dtype as ElemType, [1], typedData(dtype, [0])) }, output ? [output] : 1)[0],
    elemCode: (dtype) => ELEM_CODE[dtype],
  };

  // Name the producers of the outputs first; inputs, constants or repeats need a copy.
  const copies: { name: string; from: Tensor }[] = [];
  for (const { name, tensor: t } of outputs) {
    const r = resolve(t);
    b.fresh(name);
    if (names.has(r) || r.node.op === 'Input' || r.node.op === 'Constant') copies.push({ name, from: r });
    else names.set(r, name);
  }

  const live = liveNodes(outputs.map((o) => o.tensor));

  const usedInputs: string[] = [];
  for (const node of graph.nodes) {
    if (!live.has(node.id) || node.op === 'CustomGrad') continue;
    const [out] = node.outputs;
    if (node.op === 'Input') {
      const name = node.attrs.name as string;
      names.set(out, b.input(name, out.dtype as ElemType, out.shape));
      usedInputs.push(name);
      continue;
    }
    if (node.op === 'Constant') {
      names.set(out, e.constant(out.dtype, out.shape, node.attrs.data as ArrayLike<number>));
      continue;
    }
    const ins = node.inputs.map((t) => names.get(resolve(t))!);
    const outs = node.outputs.map((t) => names.get(t) ?? b.fresh(node.op.toLowerCase()));
    node.outputs.forEach((t, i) => names.set(t, outs[i]));
    const rule = RULES[node.op];
    if (rule.emit) rule.emit(e, ins, outs, node.attrs, node.inputs);
    else b.node(node.op, ins, node.attrs as Record<string, AttrValue>, outs);
  }
  for (const { name, from } of copies) b.node('Identity', [names.get(from)!], {}, [name]);
  for (const { name, tensor: t } of outputs) b.output(name, t.dtype as ElemType, t.shape);
  return { bytes: b.toBytes(), inputs: usedInputs, nodeCount: b.nodeCount };
}
