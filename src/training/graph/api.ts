/**
 * The tensor-expression builder: one small function per op, each appending a node to the
 * tensor's graph through `apply`, which infers output shapes from the op's rule in ops.ts.
 * Numbers passed where a tensor is expected become scalar constants of the graph's float
 * type. Shape comments use (B, T, C)-style names where it helps.
 */
import { PersonaError } from '../../errors.js';
import type { Attrs, DType, Tensor } from './ir.js';
import { RULES } from './ops.js';
import { normAxis, product } from './shape.js';

export type TensorLike = Tensor | number;

export function apply(op: string, inputs: Tensor[], attrs: Attrs = {}): Tensor[] {
  const rule = RULES[op];
  if (!rule) throw new PersonaError('invalid_argument', `op ${op} is not in the op table (src/training/graph/ops.ts).`, { op });
  const graph = inputs[0].graph;
  const outputs = rule.infer(inputs, attrs);
  const requiresGrad = !rule.nondiff && inputs.some((t) => t.requiresGrad);
  return graph.addNode(op, inputs, attrs, outputs, requiresGrad);
}

const one = (op: string, inputs: Tensor[], attrs: Attrs = {}): Tensor => apply(op, inputs, attrs)[0];

function lift(ref: Tensor, x: TensorLike): Tensor {
  return typeof x === 'number' ? ref.graph.scalar(x) : x;
}

function binary(op: string, a: TensorLike, b: TensorLike): Tensor {
  const ref = typeof a === 'number' ? (b as Tensor) : a;
  return one(op, [lift(ref, a), lift(ref, b)]);
}

export const add = (a: TensorLike, b: TensorLike) => binary('Add', a, b);
export const sub = (a: TensorLike, b: TensorLike) => binary('Sub', a, b);
export const mul = (a: TensorLike, b: TensorLike) => binary('Mul', a, b);
export const div = (a: TensorLike, b: TensorLike) => binary('Div', a, b);
export const pow = (a: TensorLike, b: TensorLike) => binary('Pow', a, b);
export const max = (a: TensorLike, b: TensorLike) => binary('Max', a, b);
export const equal = (a: Tensor, b: Tensor) => one('Equal', [a, b]);
export const not = (a: Tensor) => one('Not', [a]);

export const neg = (x: Tensor) => one('Neg', [x]);
export const sqrt = (x: Tensor) => one('Sqrt', [x]);
export const reciprocal = (x: Tensor) => one('Reciprocal', [x]);
export const exp = (x: Tensor) => one('Exp', [x]);
export const log = (x: Tensor) => one('Log', [x]);
export const sigmoid = (x: Tensor) => one('Sigmoid', [x]);
export const cast = (x: Tensor, to: DType) => one('Cast', [x], { to });

/** numpy matmul (rank ≥ 2, batch dimensions broadcast). */
export const matmul = (a: Tensor, b: Tensor) => one('MatMul', [a, b]);

/** alpha · op(A) · op(B) + beta · C on 2-D tensors; the weight matmuls of the model use this (transB for [out, in] weights). */
export function gemm(a: Tensor, b: Tensor, options: { transA?: boolean; transB?: boolean; alpha?: number; beta?: number; c?: Tensor } = {}): Tensor {
  const attrs = { transA: options.transA ? 1 : 0, transB: options.transB ? 1 : 0, alpha: options.alpha ?? 1, beta: options.beta ?? 1 };
  return one('Gemm', options.c ? [a, b, options.c] : [a, b], attrs);
}

const axesOf = (x: Tensor, axes: number[]) => axes.map((a) => normAxis(a, x.rank));
export const reduceSum = (x: Tensor, axes: number[], keepdims = true) => one('ReduceSum', [x], { axes: axesOf(x, axes), keepdims: keepdims ? 1 : 0 });
export const reduceMean = (x: Tensor, axes: number[], keepdims = true) => one('ReduceMean', [x], { axes: axesOf(x, axes), keepdims: keepdims ? 1 : 0 });
export const reduceSumSquare = (x: Tensor, axes: number[], keepdims = true) =>
  one('ReduceSumSquare', [x], { axes: axesOf(x, axes), keepdims: keepdims ? 1 : 0 });

export const softmax = (x: Tensor, axis = -1) => one('Softmax', [x], { axis: normAxis(axis, x.rank) });
export const logSoftmax = (x: Tensor, axis = -1) => one('LogSoftmax', [x], { axis: normAxis(axis, x.rank) });

export function where(cond: Tensor, a: TensorLike, b: TensorLike): Tensor {
  const ref = typeof a === 'number' ? (b as Tensor) : a;
  return one('Where', [cond, lift(ref, a), lift(ref, b)]);
}

export const transpose = (x: Tensor, perm: number[]) => one('Transpose', [x], { perm });

/** Reshape to a static shape; one dimension may be -1. */
export function reshape(x: Tensor, shape: number[]): Tensor {
  const known = product(shape.filter((d) => d !== -1));
  const full = shape.map((d) => (d === -1 ? x.size / known : d));
  if (product(full) !== x.size || !full.every(Number.isInteger)) {
    throw new PersonaError('invalid_argument', `reshape: cannot view [${x.shape}] as [${shape}].`);
  }
  return one('Reshape', [x], { shape: full });
}

export const concat = (xs: Tensor[], axis: number) => one('Concat', xs, { axis: normAxis(axis, xs[0].rank) });

/**
 * Static slice. Per axis: [start, end) with step 1, or step -1 meaning "reverse the whole
 * axis" (the only negative step the gradient rule supports).
 */
export function slice(x: Tensor, axes: number[], starts: number[], ends: number[], steps?: number[]): Tensor {
  const ax = axesOf(x, axes);
  const st = steps ?? ax.map(() => 1);
  const s = starts.map((v, i) => (st[i] === -1 ? x.shape[ax[i]] - 1 : Math.max(0, Math.min(v < 0 ? v + x.shape[ax[i]] : v, x.shape[ax[i]]))));
  const e = ends.map((v, i) => (st[i] === -1 ? -1 : Math.max(0, Math.min(v < 0 ? v + x.shape[ax[i]] : v, x.shape[ax[i]]))));
  return one('Slice', [x], { axes: ax, starts: s, ends: e, steps: st });
}

export const reverse = (x: Tensor, axis: number) => slice(x, [axis], [0], [0], [-1]);

export const split = (x: Tensor, axis: number, sizes: number[]) => apply('Split', [x], { axis: normAxis(axis, x.rank), split: sizes });

export const expand = (x: Tensor, shape: number[]) => one('Expand', [x], { shape });

/** Zero-padding (the gradient of Slice): `pads` = [begin per axis..., end per axis...]. */
export const pad = (x: Tensor, pads: number[]) => one('Pad', [x], { pads });

/** Embedding lookup: table [V, d], ids int64 [...] → [..., d]. */
export const gather = (table: Tensor, ids: Tensor) => one('Gather', [table, ids]);
export const gatherElements = (x: Tensor, index: Tensor, axis: number) => one('GatherElements', [x, index], { axis: normAxis(axis, x.rank) });
export const scatterElementsAdd = (data: Tensor, index: Tensor, updates: Tensor, axis: number) =>
  one('ScatterElementsAdd', [data, index, updates], { axis: normAxis(axis, data.rank) });

/** data (V, d) with the rows of updates (…ids, d) added at ids: the gradient of an embedding lookup. */
export const scatterRowsAdd = (data: Tensor, ids: Tensor, updates: Tensor) => one('ScatterRowsAdd', [data, ids, updates]);

export const zeros = (ref: Tensor, shape: number[] = ref.shape) => one('Zeros', [ref], { shape });

/** ONNX Runtime's contrib kernels are float32-only: float64 graphs (gradient checks) build from primitives instead. */
export const contribOps = (t: Tensor) => t.graph.floatType === 'float32' && t.graph.contribOps;

/** [x / √(mean(x²) + eps) · w, 1 / √(mean(x²) + eps)] over the last axis, one kernel (float32 graphs only). */
export function simplifiedLayerNorm(x: Tensor, w: Tensor, eps: number): [Tensor, Tensor] {
  const [y, r] = apply('SimplifiedLayerNorm', [x, w], { eps });
  return [y, r];
}

/** HF rotary embedding of x (B, T, heads·hd), one kernel (float32 graphs only): cos/sin (positions, hd/2), positions int64 (B, T). */
export const rotaryEmbedding = (x: Tensor, positions: Tensor, cos: Tensor, sin: Tensor, heads: number) =>
  one('RotaryEmbedding', [x, positions, cos, sin], { heads });

/**
 * A fused piece with a hand-written backward: `y` is computed from primitives, and its
 * gradient with respect to `inputs` is `backward(dy)` instead of the reverse walk through
 * y's own nodes. Emits no node (it aliases y).
 */
export function customGrad(y: Tensor, inputs: Tensor[], backward: (dy: Tensor) => (Tensor | null)[]): Tensor {
  return one('CustomGrad', [y, ...inputs], { backward });
}

/** True when `t` is the constant 1 (the loss seed): fused backwards then skip a multiply. */
export function isOne(t: Tensor): boolean {
  if (t.node.op !== 'Constant' || t.size !== 1) return false;
  return Number((t.node.attrs.data as ArrayLike<number>)[0]) === 1;
}
