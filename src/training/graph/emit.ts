/**
 * Emits the IR as an ONNX model through OnnxGraphBuilder: only the nodes the requested
 * outputs depend on (so an evaluation graph drops the backward pass), in tape order, with
 * the requested output names given directly to the producing node — an Identity rename
 * would copy the tensor (see the prototype facts in DESIGN.md).
 *
 * Narrowed inputs (frozen base weights held in float16, see `narrowInputs`) are declared as
 * float16 and widened by a Cast next to the nodes that read them, so the float32 copy lives
 * only as long as those nodes run instead of the whole step. Consumers close together on
 * the tape (the lm_head chunks of the loss) share one Cast; distant ones (a weight's forward
 * and backward uses) each get their own, read from their own graph input fed with the same
 * buffer: ONNX Runtime merges identical Casts of one input (common subexpression
 * elimination), which would keep the float32 copy alive from the forward to the backward.
 * Each Cast is also gated on another input of its first consumer (`gated`): without that,
 * ONNX Runtime ran all the Casts, which depend on graph inputs only, at the start of the step.
 */
import { MS_DOMAIN, OnnxGraphBuilder, tensor, type AttrValue, type ElemType } from '../../modelfmt/onnx/onnx-builder.js';
import type { DType, Graph, Tensor } from './ir.js';
import { RULES } from './ops.js';

export interface Emitter {
  /** `contrib`: an ONNX Runtime com.microsoft operator. */
  node(op: string, inputs: string[], attrs?: Record<string, AttrValue>, outputs?: string[] | number, contrib?: boolean): string[];
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
  /** Extra graph inputs that must be fed the same buffer as another input: alias → input name. */
  aliases: Map<string, string>;
  nodeCount: number;
}

export interface EmitOptions {
  modelName?: string;
  /** Float inputs fed as float16 and widened to float32 next to their consumers. */
  narrowInputs?: ReadonlySet<string>;
  /** Gate each widening Cast on its consumer (default on; off only to measure what it costs). */
  gateCasts?: boolean;
}

/** Consumers of a narrowed input at most this many tape nodes apart share one Cast. */
const SHARED_CAST_GAP = 64;
/** The int64 [1] graph input fed 0 that gates the widening Casts (see `gated`). */
export const CAST_GATE_ZERO = 'cast_gate_zero';
/** Separator of a narrowed input's alias names (`name::2` is the second group of consumers). */
export const ALIAS_SEPARATOR = '::';

const ELEM_CODE: Record<DType, number> = { float32: 1, float64: 11, float16: 10, int64: 7, bool: 9 };

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

/**
 * For each narrowed input tensor, the group index of each live consumer node (consumers in
 * tape order, a new group after a gap of more than SHARED_CAST_GAP nodes). Gather consumers
 * read the float16 table directly and widen only the rows they pick.
 */
function castGroups(graph: Graph, live: Set<number>, narrow: ReadonlySet<string>): Map<Tensor, Map<number, number>> {
  const groups = new Map<Tensor, Map<number, number>>();
  const last = new Map<Tensor, { id: number; group: number }>();
  for (const node of graph.nodes) {
    if (!live.has(node.id) || node.op === 'CustomGrad') continue;
    node.inputs.forEach((t, i) => {
      const r = resolve(t);
      if (r.node.op !== 'Input' || !narrow.has(r.node.attrs.name as string)) return;
      if (node.op === 'Gather' && i === 0) return;
      let byNode = groups.get(r);
      if (!byNode) groups.set(r, (byNode = new Map()));
      const prev = last.get(r);
      const group = prev === undefined ? 0 : node.id - prev.id > SHARED_CAST_GAP ? prev.group + 1 : prev.group;
      byNode.set(node.id, group);
      last.set(r, { id: node.id, group });
    });
  }
  return groups;
}

export function emitOnnx(graph: Graph, outputs: { name: string; tensor: Tensor }[], options: EmitOptions | string = {}): EmittedModel {
  const { modelName = 'training_graph', narrowInputs = new Set<string>(), gateCasts = true } = typeof options === 'string' ? { modelName: options } : options;
  const b = new OnnxGraphBuilder(modelName);
  const names = new Map<Tensor, string>();
  const intCache = new Map<string, string>();
  const e: Emitter = {
    node: (op, inputs, attrs = {}, outs = 1, contrib = false) => b.node(op, inputs, attrs, outs, contrib ? MS_DOMAIN : undefined),
    ints(values) {
      const key = values.join(',');
      let name = intCache.get(key);
      if (!name) intCache.set(key, (name = b.constant('ints', tensor('int64', [values.length], typedData('int64', values) as BigInt64Array))));
      return name;
    },
    constant: (dtype, dims, values) => b.constant('const', tensor(dtype as ElemType, dims, typedData(dtype, values))),
    zeros: (shape, dtype, output) =>
      b.node('ConstantOfShape', [e.ints(shape)], { value: tensor(dtype as ElemType, [1], typedData(dtype, [0])) }, output ? [output] : 1)[0],
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
  const groups = castGroups(graph, live, narrowInputs);
  const aliases = new Map<string, string>();
  const usedInputs: string[] = [];
  /** Float16 graph input of a narrowed tensor for a group of consumers (group 0: the input's own name). */
  const halfInput = new Map<string, string>();
  const halfOf = (t: Tensor, group: number): string => {
    const base = t.node.attrs.name as string;
    const name = group === 0 ? base : `${base}${ALIAS_SEPARATOR}${group + 1}`;
    let declared = halfInput.get(name);
    if (!declared) {
      halfInput.set(name, (declared = b.input(name, 'float16', t.shape)));
      if (group === 0) usedInputs.push(name);
      else aliases.set(name, base);
    }
    return declared;
  };
  const widened = new Map<string, string>();
  /** An int64 [1] zero computed from `dep` at run time (NaN-safe: IsNaN, not arithmetic on its value), by dep name. */
  const gates = new Map<string, string>();
  let gateZero: string | undefined;
  const gateOf = (dep: Tensor): string => {
    const name = names.get(dep)!;
    let gate = gates.get(name);
    if (!gate) {
      gateZero ??= b.input(CAST_GATE_ZERO, 'int64', [1]);
      if (!usedInputs.includes(CAST_GATE_ZERO)) usedInputs.push(CAST_GATE_ZERO);
      const axes = dep.shape.map((_, i) => i);
      const first = b.node('Slice', [name, e.ints(axes.map(() => 0)), e.ints(axes.map(() => 1)), e.ints(axes)])[0];
      const flag = b.node('Cast', [b.node('Reshape', [b.node('IsNaN', [first])[0], e.ints([1])])[0]], { to: ELEM_CODE.int64 })[0];
      gates.set(name, (gate = b.node('Mul', [flag, gateZero])[0]));
    }
    return gate;
  };
  /**
   * A widening Cast reads its float16 input through a Reshape whose shape depends on another
   * input of its first consumer: ONNX Runtime otherwise runs every input-only subgraph (all
   * the Casts) at the start of the step, so every float32 copy would live from the start to
   * its consumer (measured: the backward's copies of the whole base at once).
   */
  const gated = (half: string, t: Tensor, consumer: { inputs: Tensor[] }): string => {
    const dep = consumer.inputs.map(resolve).find((x) => x !== t && x.node.op !== 'Input' && x.node.op !== 'Constant' && names.has(x) && x.dtype !== 'int64');
    if (!dep || !gateCasts) return half;
    const shape = b.node('Add', [e.ints(t.shape), gateOf(dep)])[0];
    return b.node('Reshape', [half, shape])[0];
  };
  const nameOf = (node: { id: number; op: string; inputs: Tensor[] }, t: Tensor, index: number): string => {
    const r = resolve(t);
    const byNode = groups.get(r);
    if (!byNode && !(r.node.op === 'Input' && narrowInputs.has(r.node.attrs.name as string))) return names.get(r)!;
    if (node.op === 'Gather' && index === 0) return halfOf(r, 0);
    const half = halfOf(r, byNode!.get(node.id)!);
    let wide = widened.get(half);
    if (!wide) widened.set(half, (wide = b.node('Cast', [gated(half, r, node)], { to: ELEM_CODE[r.dtype] })[0]));
    return wide;
  };

  for (const node of graph.nodes) {
    if (!live.has(node.id) || node.op === 'CustomGrad') continue;
    const [out] = node.outputs;
    if (node.op === 'Input') {
      const name = node.attrs.name as string;
      if (narrowInputs.has(name)) continue; // declared as float16 by its first consumer
      names.set(out, b.input(name, out.dtype as ElemType, out.shape));
      usedInputs.push(name);
      continue;
    }
    if (node.op === 'Constant') {
      names.set(out, e.constant(out.dtype, out.shape, node.attrs.data as ArrayLike<number>));
      continue;
    }
    const ins = node.inputs.map((t, i) => nameOf(node, t, i));
    const outs = node.outputs.map((t) => names.get(t) ?? b.fresh(node.op.toLowerCase()));
    node.outputs.forEach((t, i) => names.set(t, outs[i]));
    const rule = RULES[node.op];
    const halfTable = node.op === 'Gather' && ins[0] !== names.get(resolve(node.inputs[0]));
    // A Gather from a float16 table picks float16 rows; widen only those.
    const direct = halfTable ? [b.fresh('gather_half')] : outs;
    if (rule.emit) rule.emit(e, ins, direct, node.attrs, node.inputs);
    else b.node(node.op, ins, node.attrs as Record<string, AttrValue>, direct);
    if (halfTable) b.node('Cast', direct, { to: ELEM_CODE[node.outputs[0].dtype] }, outs);
  }
  for (const { name, from } of copies) b.node('Identity', [names.get(from)!], {}, [name]);
  for (const { name, tensor: t } of outputs) b.output(name, t.dtype as ElemType, t.shape);
  return { bytes: b.toBytes(), inputs: usedInputs, aliases, nodeCount: b.nodeCount };
}
