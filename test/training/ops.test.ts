/**
 * Every op's gradient, and every fused piece's hand-written backward, checked against
 * central finite differences from ONE table of cases (float64 graphs, broadcasting
 * included). A new op gets a row here.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as T from '../../src/training/graph/api.ts';
import { causalAttention, crossEntropy, lmHeadCrossEntropy, rmsNorm, silu, swiglu } from '../../src/training/graph/fused.ts';
import { gradients } from '../../src/training/graph/autodiff.ts';
import { emitOnnx } from '../../src/training/graph/emit.ts';
import { groupedCausalAttention } from '../../src/training/attention.ts';
import { GraphRunner } from '../../src/training/runtime.ts';
import { Graph, type Tensor } from '../../src/training/graph/ir.ts';
import { gradCheck, type InputSpec } from './gradcheck.ts';
import { mulberry32 } from '../../src/util/random.ts';

const f = (...shape: number[]): InputSpec => ({ shape });
const pos = (...shape: number[]): InputSpec => ({ shape, positive: true });
const ints = (shape: number[], values: number[]): InputSpec => ({ shape, ints: values });

function causalMask(g: Graph, rows: number, t: number, value: 'bool' | 'additive'): Tensor {
  const data = Array.from({ length: rows * t }, (_, k) => (k % t <= Math.floor(k / t) % t ? 1 : 0));
  return value === 'bool'
    ? g.constant(data, [rows, t], 'bool')
    : g.constant(
        data.map((v) => (v ? 0 : -1e9)),
        [rows, t],
      );
}

const CASES: [string, InputSpec[], (x: Tensor[]) => Tensor][] = [
  ['Add broadcast', [f(2, 3), f(3)], ([a, b]) => T.add(a, b)],
  ['Sub broadcast both ways', [f(2, 1, 3), f(4, 1)], ([a, b]) => T.sub(a, b)],
  ['Mul broadcast', [f(2, 3), f(2, 1)], ([a, b]) => T.mul(a, b)],
  ['Div broadcast', [f(2, 3), pos(3)], ([a, b]) => T.div(a, b)],
  ['Pow', [pos(2, 3), f(1)], ([a, b]) => T.pow(a, b)],
  ['Sqrt', [pos(2, 3)], ([a]) => T.sqrt(a)],
  ['Reciprocal', [pos(2, 3)], ([a]) => T.reciprocal(a)],
  ['Exp', [f(2, 3)], ([a]) => T.exp(a)],
  ['Log', [pos(2, 3)], ([a]) => T.log(a)],
  ['Neg', [f(2, 3)], ([a]) => T.neg(a)],
  ['Sigmoid', [f(2, 3)], ([a]) => T.sigmoid(a)],
  ['SiLU (fused)', [f(2, 3)], ([a]) => silu(a)],
  ['SwiGLU (fused)', [f(2, 3), f(2, 3)], ([a, b]) => swiglu(a, b)],
  ['MatMul batched, broadcast batch', [f(2, 1, 3, 4), f(3, 4, 2)], ([a, b]) => T.matmul(a, b)],
  ['MatMul 2-D', [f(3, 4), f(4, 5)], ([a, b]) => T.matmul(a, b)],
  ['Gemm', [f(3, 4), f(4, 2), f(2)], ([a, b, c]) => T.gemm(a, b, { c, alpha: 0.5, beta: 2 })],
  ['Gemm transA', [f(4, 3), f(4, 2)], ([a, b]) => T.gemm(a, b, { transA: true })],
  ['Gemm transB', [f(3, 4), f(2, 4)], ([a, b]) => T.gemm(a, b, { transB: true, alpha: 1.5 })],
  ['Gemm transA transB, C rows', [f(4, 3), f(2, 4), f(3, 1)], ([a, b, c]) => T.gemm(a, b, { transA: true, transB: true, c })],
  ['ReduceSum keepdims', [f(2, 3, 4)], ([a]) => T.reduceSum(a, [1])],
  ['ReduceSum two axes', [f(2, 3, 4)], ([a]) => T.reduceSum(a, [0, 2], false)],
  ['ReduceMean', [f(2, 3, 4)], ([a]) => T.reduceMean(a, [-1], false)],
  ['ReduceSumSquare', [f(2, 3)], ([a]) => T.reduceSumSquare(a, [1])],
  ['Softmax', [f(2, 3, 4)], ([a]) => T.softmax(a, -1)],
  ['Softmax middle axis', [f(2, 3, 4)], ([a]) => T.softmax(a, 1)],
  ['LogSoftmax', [f(2, 5)], ([a]) => T.logSoftmax(a)],
  ['Where with a causal mask', [f(2, 3, 3), f(1)], ([a, b]) => T.where(causalMask(a.graph, 3, 3, 'bool'), a, b)],
  ['Transpose', [f(2, 3, 4)], ([a]) => T.transpose(a, [2, 0, 1])],
  ['Reshape', [f(2, 6)], ([a]) => T.mul(T.reshape(a, [3, -1]), a.graph.constant([1, 2, 3, 4], [4]))],
  ['Concat', [f(2, 3), f(2, 1)], ([a, b]) => T.concat([a, b], 1)],
  ['Slice range', [f(3, 5)], ([a]) => T.slice(a, [1], [1], [4])],
  ['Slice reversed axis + range', [f(3, 4)], ([a]) => T.slice(a, [0, 1], [0, 1], [0, 3], [-1, 1])],
  ['Split (one part unused)', [f(2, 5)], ([a]) => T.split(a, 1, [2, 3])[1]],
  ['Split (both parts)', [f(2, 5)], ([a]) => (([x, y]) => T.add(T.reduceSum(x, [1]), T.reduceSum(y, [1])))(T.split(a, 1, [2, 3]))],
  ['Expand', [f(3, 1)], ([a]) => T.expand(a, [2, 3, 4])],
  ['Pad', [f(2, 2)], ([a]) => T.pad(a, [1, 0, 0, 2])],
  ['Gather (embedding, repeated ids)', [f(5, 3), ints([2, 3], [0, 4, 4, 1, 0, 2])], ([e, ids]) => T.gather(e, ids)],
  ['ScatterRowsAdd (repeated ids)', [f(4, 3), ints([3], [2, 0, 2]), f(3, 3)], ([a, ids, u]) => T.scatterRowsAdd(a, ids, u)],
  ['GatherElements', [f(3, 4), ints([3, 2], [0, 3, 1, 1, 2, 0])], ([a, idx]) => T.gatherElements(a, idx, 1)],
  ['ScatterElementsAdd', [f(3, 4), ints([3, 1], [2, 0, 3]), f(3, 1)], ([a, idx, u]) => T.scatterElementsAdd(a, idx, u, 1)],
  ['RMSNorm (fused)', [f(2, 3, 4), pos(4)], ([x, w]) => rmsNorm(x, w, 1e-5)],
  ['cross-entropy, ignore -100', [f(4, 5), ints([4], [1, -100, 4, 0])], ([l, y]) => crossEntropy(l, y)],
  ['cross-entropy, all ignored', [f(2, 3), ints([2], [-100, -100])], ([l, y]) => T.add(crossEntropy(l, y), T.reduceSum(l, [0, 1], false))],
  ['lm_head + cross-entropy, chunked rows', [f(5, 3), f(6, 3), ints([5], [5, -100, 0, 2, 2])], ([h, w, y]) => lmHeadCrossEntropy(h, w, y, 2)],
  [
    'causal attention (GQA rows, fused)',
    [f(1, 2, 6, 4), f(1, 2, 4, 3), f(1, 2, 3, 4)],
    ([q, kT, v]) => causalAttention(q, kT, v, causalMask(q.graph, 6, 3, 'additive')),
  ],
  ['grouped causal attention in 2 query blocks', [f(1, 4, 2, 2, 3), f(1, 4, 2, 3), f(1, 4, 2, 3)], ([q, k, v]) => groupedCausalAttention(q, k, v, 2)],
];

for (const [name, specs, fn] of CASES) {
  test(`gradient of ${name} matches finite differences`, async () => {
    const { maxError, scale, worst } = await gradCheck(specs, fn);
    assert.ok(maxError <= 1e-6 * Math.max(1, scale), `${name}: max error ${maxError} (${worst})`);
  });
}

/** Rotary tables (positions, hd/2) of angles t·θᵢ, and positions (B, T). */
function rotary(g: Graph, batch: number, t: number, half: number) {
  const angle = (j: number) => Math.floor(j / half) * 0.7 ** (j % half);
  return {
    positions: g.constant(
      Array.from({ length: batch * t }, (_, j) => j % t),
      [batch, t],
      'int64',
    ),
    cos: g.constant(
      Array.from({ length: t * half }, (_, j) => Math.cos(angle(j))),
      [t, half],
    ),
    sin: g.constant(
      Array.from({ length: t * half }, (_, j) => 1.5 * Math.sin(angle(j))),
      [t, half],
    ),
  };
}

/**
 * ONNX Runtime's contrib kernels are float32-only, so these rows check in float32 (step
 * 1e-2, tolerance 2e-3 of the gradient scale); the float64 rows above check the same
 * builders' primitive fallbacks.
 */
const CONTRIB_CASES: [string, InputSpec[], (x: Tensor[]) => Tensor][] = [
  ['RMSNorm (SimplifiedLayerNormalization forward)', [f(2, 3, 4), pos(4)], ([x, w]) => rmsNorm(x, w, 1e-5)],
  [
    'RotaryEmbedding (2 heads, scaled sin)',
    [f(2, 3, 8)],
    ([x]) => {
      const r = rotary(x.graph, 2, 3, 2);
      return T.rotaryEmbedding(x, r.positions, r.cos, r.sin, 2);
    },
  ],
];

for (const [name, specs, fn] of CONTRIB_CASES) {
  test(`gradient of ${name} matches finite differences (float32)`, async () => {
    let used = '';
    const { maxError, scale, worst } = await gradCheck(
      specs,
      (xs) => {
        const y = fn(xs);
        used = y.graph.nodes.map((n) => n.op).join(',');
        return y;
      },
      { floatType: 'float32' },
    );
    assert.match(used, /SimplifiedLayerNorm|RotaryEmbedding/, 'the contrib kernel is in the graph');
    assert.ok(maxError <= 2e-3 * Math.max(1, scale), `${name}: max error ${maxError} (${worst})`);
  });
}

test('a missing gradient rule fails naming the op', () => {
  const g = new Graph();
  const a = g.input('a', [2], { trainable: true });
  const loss = T.reduceSum(T.max(a, 0), [0], false);
  assert.throws(() => gradients(loss, [a]), /no gradient rule for op Max/);
});

test('shape mismatches fail naming the op and shapes', () => {
  const g = new Graph();
  assert.throws(() => T.matmul(g.input('a', [2, 3]), g.input('b', [4, 5])), /MatMul: shapes \[2,3\] and \[4,5\]/);
  assert.throws(() => T.add(g.input('c', [2, 3]), g.input('d', [4])), /Add: shapes/);
});

test('causal attention in query blocks equals attention in one block', async () => {
  const g = new Graph();
  const [q, k, v] = [g.input('q', [2, 8, 2, 3, 4]), g.input('k', [2, 8, 2, 4]), g.input('v', [2, 8, 2, 4])];
  const diff = T.sub(groupedCausalAttention(q, k, v, 4), groupedCausalAttention(q, k, v, 1));
  const runner = await GraphRunner.create(emitOnnx(g, [{ name: 'diff', tensor: diff }]).bytes);
  const random = mulberry32(7);
  const feed = (t: Tensor) => ({ dtype: 'float32' as const, dims: t.shape, data: Float32Array.from({ length: t.size }, () => random() * 4 - 2) });
  const out = (
    await runner.run(
      new Map([
        ['q', feed(q)],
        ['k', feed(k)],
        ['v', feed(v)],
      ]),
      ['diff'],
    )
  ).get('diff') as Float32Array;
  await runner.release();
  assert.ok(Math.max(...out.map(Math.abs)) < 1e-5);
});
