/**
 * Gradient checking against central finite differences, shared by the op-table and model
 * tests. Graphs are built in float64 so that differences of 1e-6 are meaningful (float32
 * on request, for ONNX Runtime's float32-only contrib kernels, with a larger step); the
 * scalar checked is sum(output · R) for a fixed random R, so every output element gets a
 * different upstream gradient.
 */
import { gradients } from '../../src/training/graph/autodiff.ts';
import { mulberry32 } from '../../src/util/random.ts';
import * as T from '../../src/training/graph/api.ts';
import { emitOnnx } from '../../src/training/graph/emit.ts';
import { Graph, type Tensor } from '../../src/training/graph/ir.ts';
import { GraphRunner, type Feed } from '../../src/training/runtime.ts';

export interface InputSpec {
  shape: number[];
  /** Integer inputs (ids, labels) are fed as given and not differentiated. */
  ints?: number[];
  /** Float values; default uniform in [-1, 1] (or [0.5, 1.5] when `positive`). */
  values?: number[];
  positive?: boolean;
}

export const rng = mulberry32;

export interface CheckResult {
  maxError: number;
  scale: number;
  worst: string;
}

/**
 * Builds `fn(inputs)`, differentiates sum(out · R) with the autodiff and compares with
 * central differences for every float input element (or `samples` random ones per input).
 */
export async function gradCheck(
  specs: InputSpec[],
  fn: (xs: Tensor[]) => Tensor,
  options: { eps?: number; seed?: number; samples?: number; floatType?: 'float32' | 'float64' } = {},
): Promise<CheckResult> {
  const random = rng(options.seed ?? 1);
  const floatType = options.floatType ?? 'float64';
  const g = new Graph(floatType);
  const xs = specs.map((s, i) => g.input(`x${i}`, s.shape, s.ints ? { dtype: 'int64' } : { trainable: true }));
  const y = fn(xs);
  const r = g.constant(
    Array.from({ length: y.size }, () => random() * 2 - 1),
    y.shape,
  );
  const loss = T.reduceSum(T.reshape(T.mul(y, r), [y.size]), [0], false);
  const feeds = new Map<string, Feed>();
  const wrt = new Map<string, Tensor>();
  specs.forEach((s, i) => {
    if (s.ints) feeds.set(`x${i}`, { dtype: 'int64', dims: s.shape, data: BigInt64Array.from(s.ints.map(BigInt)) });
    else {
      const values = s.values ?? Array.from({ length: xs[i].size }, () => (s.positive ? 0.5 + random() : random() * 2 - 1));
      feeds.set(`x${i}`, { dtype: floatType, dims: s.shape, data: floatType === 'float64' ? Float64Array.from(values) : Float32Array.from(values) });
      wrt.set(`x${i}`, xs[i]);
    }
  });
  return checkGraph(g, loss, wrt, feeds, options);
}

/** Compares the autodiff gradients of scalar `loss` w.r.t. `wrt` with central differences at `feeds`. */
export async function checkGraph(
  g: Graph,
  loss: Tensor,
  wrt: Map<string, Tensor>,
  feeds: Map<string, Feed>,
  options: { eps?: number; seed?: number; samples?: number; floatType?: 'float32' | 'float64' } = {},
): Promise<CheckResult> {
  const random = rng((options.seed ?? 1) + 7);
  const names = [...wrt.keys()];
  const grads = gradients(
    loss,
    names.map((n) => wrt.get(n)!),
  );
  const outputs = [{ name: 'loss', tensor: loss }, ...grads.map((t, k) => ({ name: `grad${k}`, tensor: t }))];
  // 'basic': the extended optimizer swaps in com.microsoft kernels that only exist for float32.
  const train = await GraphRunner.create(emitOnnx(g, outputs).bytes, { threads: 1, optimization: 'basic' });
  const fwd = await GraphRunner.create(emitOnnx(g, [outputs[0]]).bytes, { threads: 1, optimization: 'basic' });
  const analytic = await train.run(
    feeds,
    outputs.map((o) => o.name),
  );
  const eps = options.eps ?? (g.floatType === 'float32' ? 1e-2 : 1e-6);
  const lossAt = async () => (await fwd.run(feeds, ['loss'])).get('loss')![0] as number;
  let maxError = 0;
  let scale = 1e-12;
  let worst = '';
  for (const [k, name] of names.entries()) {
    const data = feeds.get(name)!.data as Float64Array | Float32Array;
    const grad = analytic.get(`grad${k}`) as Float64Array | Float32Array;
    const picks =
      options.samples && options.samples < data.length ? Array.from({ length: options.samples }, () => Math.floor(random() * data.length)) : data.keys();
    for (const j of picks) {
      const keep = data[j];
      data[j] = keep + eps;
      const up = await lossAt();
      data[j] = keep - eps;
      const down = await lossAt();
      data[j] = keep;
      const numeric = (up - down) / (2 * eps);
      scale = Math.max(scale, Math.abs(numeric));
      const err = Math.abs(numeric - grad[j]);
      if (err > maxError) [maxError, worst] = [err, `${name}[${j}]: autodiff ${grad[j]}, finite difference ${numeric}`];
    }
  }
  await train.release();
  await fwd.release();
  return { maxError, scale, worst };
}
