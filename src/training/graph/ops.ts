/**
 * The op table (tinygrad style): for every op, its output shape, its ONNX emission and its
 * gradient rule side by side. A rule's `grad` receives the gradient of each output (null
 * where none flows) and returns one gradient per input, possibly still broadcast: the
 * reverse walk (autodiff.ts) sums broadcast dimensions back to the input's shape.
 * An op without `grad` that the walk reaches fails loudly, naming the op.
 *
 * Besides the default-domain ops, ONNX Runtime's CPU contrib kernels that pay in a training
 * step (measured per op in docs/benchmarks.md) are ops here too: RotaryEmbedding
 * (com.microsoft) and SimplifiedLayerNormalization (ONNX Runtime's own, in the default
 * domain). Both exist for float32 only, so the builders that use them (fused.ts,
 * llama.ts) fall back to primitives in float64 graphs; their gradients are checked in
 * float32 (test/training/ops.test.ts).
 */
import { PersonaError } from '../../errors.js';
import { float } from '../../modelfmt/onnx/onnx-builder.js';
import * as T from './api.js';
import type { Emitter } from './emit.js';
import type { Attrs, DType, Tensor } from './ir.js';
import { broadcastShapes, product } from './shape.js';

type Out = { shape: number[]; dtype: DType };
type Grads = (Tensor | null)[];

export interface OpRule {
  infer(x: Tensor[], attrs: Attrs): Out[];
  /** ONNX nodes for this op; default: one node of the same type with the attributes as given. */
  emit?(e: Emitter, ins: string[], outs: string[], attrs: Attrs, x: Tensor[]): void;
  grad?(dy: (Tensor | null)[], x: Tensor[], y: Tensor[], attrs: Attrs): Grads;
  /** Outputs never carry gradients (comparisons, integer results). */
  nondiff?: boolean;
}

const same = (x: Tensor[]): Out[] => [{ shape: x[0].shape, dtype: x[0].dtype }];
const elementwise = (x: Tensor[], op: string): Out[] => [{ shape: broadcastShapes(op, ...x.map((t) => t.shape)), dtype: x[0].dtype }];
const binary = (op: string, grad: OpRule['grad']): OpRule => ({ infer: (x) => elementwise(x, op), grad });
const unary = (grad: (dy: Tensor, x: Tensor, y: Tensor) => Tensor): OpRule => ({ infer: same, grad: ([dy], [x], [y]) => [grad(dy!, x, y)] });

/** Reduced output shape for `axes` (sorted, normalised). */
function reduced(shape: number[], axes: number[], keep: boolean): number[] {
  return keep ? shape.map((d, i) => (axes.includes(i) ? 1 : d)) : shape.filter((_, i) => !axes.includes(i));
}
const reduceRule = (onnxOp: string, scale: (x: Tensor, axes: number[]) => number | null, chain?: (g: Tensor, x: Tensor) => Tensor): OpRule => ({
  infer: ([x], a) => [{ shape: reduced(x.shape, a.axes as number[], a.keepdims === 1), dtype: x.dtype }],
  // Opset 18 takes the axes as an input tensor.
  emit: (e, ins, outs, a) => e.node(onnxOp, [ins[0], e.ints(a.axes as number[])], { keepdims: a.keepdims as number }, outs),
  grad: ([dy], [x], _y, a) => {
    const axes = a.axes as number[];
    let g = T.expand(T.reshape(dy!, reduced(x.shape, axes, true)), x.shape);
    const s = scale(x, axes);
    if (s !== null) g = T.mul(g, s);
    return [chain ? chain(g, x) : g];
  },
});
const inversePerm = (perm: number[]) => perm.map((_, i) => perm.indexOf(i));
const lastTwoSwapped = (rank: number) => [...Array.from({ length: rank - 2 }, (_, i) => i), rank - 1, rank - 2];

export const RULES: Record<string, OpRule> = {
  Input: { infer: () => [] },
  Constant: { infer: () => [], nondiff: true },

  Add: binary('Add', ([dy]) => [dy, dy]),
  Sub: binary('Sub', ([dy]) => [dy, T.neg(dy!)]),
  Mul: binary('Mul', ([dy], [a, b]) => [T.mul(dy!, b), T.mul(dy!, a)]),
  Div: binary('Div', ([dy], [, b], [y]) => [T.div(dy!, b), T.neg(T.div(T.mul(dy!, y), b))]),
  Pow: binary('Pow', ([dy], [a, b], [y]) => [T.mul(dy!, T.mul(b, T.pow(a, T.sub(b, 1)))), T.mul(dy!, T.mul(y, T.log(a)))]),
  Max: { infer: (x) => elementwise(x, 'Max') },
  Equal: { infer: (x) => [{ shape: broadcastShapes('Equal', x[0].shape, x[1].shape), dtype: 'bool' }], nondiff: true },
  Not: { infer: same, nondiff: true },

  Neg: unary((dy) => T.neg(dy)),
  Sqrt: unary((dy, _x, y) => T.div(T.mul(dy, 0.5), y)),
  Reciprocal: unary((dy, _x, y) => T.neg(T.mul(dy, T.mul(y, y)))),
  Exp: unary((dy, _x, y) => T.mul(dy, y)),
  Log: unary((dy, x) => T.div(dy, x)),
  Sigmoid: unary((dy, _x, y) => T.mul(dy, T.mul(y, T.sub(1, y)))),
  Cast: {
    infer: ([x], a) => [{ shape: x.shape, dtype: a.to as DType }],
    emit: (e, ins, outs, a) => e.node('Cast', ins, { to: e.elemCode(a.to as DType) }, outs),
    grad: ([dy], [x]) => [x.dtype === 'float32' || x.dtype === 'float64' ? T.cast(dy!, x.dtype) : null],
  },

  MatMul: {
    infer: ([a, b]) => {
      if (a.rank < 2 || b.rank < 2 || a.shape[a.rank - 1] !== b.shape[b.rank - 2]) throw shapeError('MatMul', a, b);
      const batch = broadcastShapes('MatMul', a.shape.slice(0, -2), b.shape.slice(0, -2));
      return [{ shape: [...batch, a.shape[a.rank - 2], b.shape[b.rank - 1]], dtype: a.dtype }];
    },
    grad: ([dy], [a, b]) => [T.matmul(dy!, T.transpose(b, lastTwoSwapped(b.rank))), T.matmul(T.transpose(a, lastTwoSwapped(a.rank)), dy!)],
  },
  Gemm: {
    infer: ([a, b], at) => {
      const [m, k] = at.transA ? [a.shape[1], a.shape[0]] : a.shape;
      const [k2, n] = at.transB ? [b.shape[1], b.shape[0]] : b.shape;
      if (a.rank !== 2 || b.rank !== 2 || k !== k2) throw shapeError('Gemm', a, b);
      return [{ shape: [m, n], dtype: a.dtype }];
    },
    emit: (e, ins, outs, a) =>
      e.node('Gemm', ins, { transA: a.transA as number, transB: a.transB as number, alpha: float(a.alpha as number), beta: float(a.beta as number) }, outs),
    grad: ([dy], [a, b, c], _y, at) => {
      const alpha = at.alpha as number;
      const tA = at.transA === 1;
      const tB = at.transB === 1;
      // Y = α·op(A)·op(B) + β·C; each gradient is one more Gemm with the transposes folded in.
      const dA = tA ? T.gemm(b, dy!, { transA: tB, transB: true, alpha }) : T.gemm(dy!, b, { transB: !tB, alpha });
      const dB = tB ? T.gemm(dy!, a, { transA: true, transB: tA, alpha }) : T.gemm(a, dy!, { transA: !tA, alpha });
      return c ? [dA, dB, at.beta === 1 ? dy : T.mul(dy!, at.beta as number)] : [dA, dB];
    },
  },

  ReduceSum: reduceRule('ReduceSum', () => null),
  ReduceMean: reduceRule('ReduceMean', (x, axes) => 1 / product(axes.map((a) => x.shape[a]))),
  ReduceSumSquare: reduceRule(
    'ReduceSumSquare',
    () => null,
    (g, x) => T.mul(g, T.mul(x, 2)),
  ),

  Softmax: {
    infer: same,
    grad: ([dy], _x, [y], a) => [T.mul(y, T.sub(dy!, T.reduceSum(T.mul(dy!, y), [a.axis as number])))],
  },
  LogSoftmax: {
    infer: same,
    grad: ([dy], _x, [y], a) => [T.sub(dy!, T.mul(T.exp(y), T.reduceSum(dy!, [a.axis as number])))],
  },
  Where: {
    infer: (x) => [{ shape: broadcastShapes('Where', ...x.map((t) => t.shape)), dtype: x[1].dtype }],
    grad: ([dy], [c]) => [null, T.where(c, dy!, 0), T.where(c, 0, dy!)],
  },

  Transpose: {
    infer: ([x], a) => [{ shape: (a.perm as number[]).map((p) => x.shape[p]), dtype: x.dtype }],
    grad: ([dy], _x, _y, a) => [T.transpose(dy!, inversePerm(a.perm as number[]))],
  },
  Reshape: {
    infer: ([x], a) => [{ shape: a.shape as number[], dtype: x.dtype }],
    emit: (e, ins, outs, a) => e.node('Reshape', [ins[0], e.ints(a.shape as number[])], {}, outs),
    grad: ([dy], [x]) => [T.reshape(dy!, x.shape)],
  },
  Expand: {
    infer: ([x], a) => [{ shape: broadcastShapes('Expand', x.shape, a.shape as number[]), dtype: x.dtype }],
    emit: (e, ins, outs, a) => e.node('Expand', [ins[0], e.ints(a.shape as number[])], {}, outs),
    grad: ([dy]) => [dy],
  },
  Concat: {
    infer: (x, a) => {
      const axis = a.axis as number;
      const shape = [...x[0].shape];
      shape[axis] = x.reduce((s, t) => s + t.shape[axis], 0);
      return [{ shape, dtype: x[0].dtype }];
    },
    grad: ([dy], x, _y, a) => {
      const axis = a.axis as number;
      let start = 0;
      return x.map((t) => T.slice(dy!, [axis], [start], [(start += t.shape[axis])]));
    },
  },
  Slice: {
    infer: ([x], a) => {
      const shape = [...x.shape];
      (a.axes as number[]).forEach((ax, i) => {
        shape[ax] = (a.steps as number[])[i] === -1 ? x.shape[ax] : Math.max(0, (a.ends as number[])[i] - (a.starts as number[])[i]);
      });
      return [{ shape, dtype: x.dtype }];
    },
    emit: (e, ins, outs, a) => {
      // A reversed axis ends "before index 0", which ONNX spells as a very negative end.
      const ends = (a.ends as number[]).map((v, i) => ((a.steps as number[])[i] === -1 ? -(2 ** 62) : v));
      e.node('Slice', [ins[0], e.ints(a.starts as number[]), e.ints(ends), e.ints(a.axes as number[]), e.ints(a.steps as number[])], {}, outs);
    },
    grad: ([dy], [x], _y, a) => {
      const axes = a.axes as number[];
      const steps = a.steps as number[];
      const reversed = axes.filter((_, i) => steps[i] === -1);
      let g = reversed.length
        ? T.slice(
            dy!,
            reversed,
            reversed.map(() => 0),
            reversed.map(() => 0),
            reversed.map(() => -1),
          )
        : dy!;
      const pads = new Array<number>(2 * x.rank).fill(0);
      axes.forEach((ax, i) => {
        if (steps[i] !== 1) return;
        pads[ax] = (a.starts as number[])[i];
        pads[x.rank + ax] = x.shape[ax] - (a.ends as number[])[i];
      });
      if (pads.some((p) => p !== 0)) g = T.pad(g, pads);
      return [g];
    },
  },
  Pad: {
    infer: ([x], a) => [{ shape: x.shape.map((d, i) => d + (a.pads as number[])[i] + (a.pads as number[])[x.rank + i]), dtype: x.dtype }],
    emit: (e, ins, outs, a) => e.node('Pad', [ins[0], e.ints(a.pads as number[])], {}, outs),
    grad: ([dy], [x], _y, a) => {
      const pads = a.pads as number[];
      const axes = x.shape.map((_, i) => i);
      return [
        T.slice(
          dy!,
          axes,
          axes.map((i) => pads[i]),
          axes.map((i) => pads[i] + x.shape[i]),
        ),
      ];
    },
  },
  Split: {
    infer: ([x], a) =>
      (a.split as number[]).map((size) => {
        const shape = [...x.shape];
        shape[a.axis as number] = size;
        return { shape, dtype: x.dtype };
      }),
    emit: (e, ins, outs, a) => e.node('Split', [ins[0], e.ints(a.split as number[])], { axis: a.axis as number }, outs),
    grad: (dys, _x, y, a) => [
      T.concat(
        dys.map((d, i) => d ?? T.zeros(y[i])),
        a.axis as number,
      ),
    ],
  },

  Gather: {
    infer: ([table, ids]) => [{ shape: [...ids.shape, ...table.shape.slice(1)], dtype: table.dtype }],
    emit: (e, ins, outs) => e.node('Gather', ins, { axis: 0 }, outs),
    grad: ([dy], [table, ids]) => [T.scatterRowsAdd(T.zeros(table), ids, dy!), null],
  },
  ScatterRowsAdd: {
    infer: ([data]) => [{ shape: data.shape, dtype: data.dtype }],
    // ScatterND with reduction=add sums the rows of repeated ids (embedding gradients).
    emit: (e, ins, outs, _a, [, ids]) => {
      const index = e.node('Reshape', [ins[1], e.ints([...ids.shape, 1])])[0];
      e.node('ScatterND', [ins[0], index, ins[2]], { reduction: 'add' }, outs);
    },
    grad: ([dy], [, ids, updates]) => [dy, null, T.reshape(T.gather(dy!, ids), updates.shape)],
  },
  GatherElements: {
    infer: ([x, index]) => [{ shape: index.shape, dtype: x.dtype }],
    grad: ([dy], [x, index], _y, a) => [T.scatterElementsAdd(T.zeros(x), index, dy!, a.axis as number), null],
  },
  ScatterElementsAdd: {
    infer: same,
    emit: (e, ins, outs, a) => e.node('ScatterElements', ins, { axis: a.axis as number, reduction: 'add' }, outs),
    grad: ([dy], [, index], _y, a) => [dy, null, T.gatherElements(dy!, index, a.axis as number)],
  },
  Zeros: {
    infer: ([ref], a) => [{ shape: a.shape as number[], dtype: ref.dtype }],
    emit: (e, _ins, outs, a, [ref]) => {
      e.zeros(a.shape as number[], ref.dtype, outs[0]);
    },
    nondiff: true,
  },
  CustomGrad: { infer: ([y]) => [{ shape: y.shape, dtype: y.dtype }] },

  /** [y, r]: y = x·r·w and r = 1/√(mean(x²) + eps) over the last axis (…, 1); differentiated by fused.ts rmsNorm's backward. */
  SimplifiedLayerNorm: {
    infer: ([x]) => [
      { shape: x.shape, dtype: x.dtype },
      { shape: [...x.shape.slice(0, -1), 1], dtype: x.dtype },
    ],
    emit: (e, ins, outs, a) => e.node('SimplifiedLayerNormalization', ins, { axis: -1, epsilon: float(a.eps as number) }, outs),
  },
  /**
   * HF rotary embedding (rotate_half) of x (B, T, heads·hd) at position_ids (B, T) with
   * cos/sin caches (positions, hd/2). A rotation, so its backward is the rotation by the
   * opposite angle: the same op with the sin cache negated (folded by ONNX Runtime).
   */
  RotaryEmbedding: {
    infer: same,
    emit: (e, ins, outs, a) => e.node('RotaryEmbedding', ins, { num_heads: a.heads as number }, outs, true),
    grad: ([dy], [, positions, cos, sin], _y, a) => [T.apply('RotaryEmbedding', [dy!, positions, cos, T.neg(sin)], a)[0], null, null, null],
  },
};

function shapeError(op: string, a: Tensor, b: Tensor): PersonaError {
  return new PersonaError('invalid_argument', `op ${op}: shapes [${a.shape}] and [${b.shape}] do not match.`, { op });
}
