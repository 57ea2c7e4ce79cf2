// Optimizer, clipping and schedule math against values computed by hand (torch semantics).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AdamW, Sgd, type Params } from '../../../src/training/trainer/optimizers.ts';
import { accumulateInto, clipGradients, globalNorm, scaleInPlace } from '../../../src/training/trainer/gradients.ts';
import { learningRateAt } from '../../../src/training/trainer/schedule.ts';

const close = (actual: number, expected: number, tolerance = 1e-6) =>
  assert.ok(Math.abs(actual - expected) <= tolerance, `expected ${expected}, got ${actual}`);

const one = (value: number): Params => new Map([['w', new Float32Array([value])]]);

test('AdamW: two steps with decoupled weight decay and bias correction match the hand computation', () => {
  const params = one(1);
  const adam = new AdamW({ weightDecay: 0.01 });
  // Step 1: p = 1·(1 − 0.1·0.01) − 0.1/(1−0.9) · 0.05 / (sqrt(0.00025)/sqrt(0.001) + 1e-8)
  adam.step(params, one(0.5), 0.1);
  close(params.get('w')![0], 0.899000002);
  adam.step(params, one(-0.25), 0.1);
  close(params.get('w')![0], 0.8714672987);
});

test('AdamW: 1-D tensors (norm weights) get no weight decay', () => {
  const params: Params = new Map([
    ['norm', new Float32Array([1])],
    ['matrix', new Float32Array([1])],
  ]);
  const adam = new AdamW(
    { weightDecay: 0.5 },
    new Map([
      ['norm', 1],
      ['matrix', 2],
    ]),
  );
  adam.step(
    params,
    new Map([
      ['norm', new Float32Array([0])],
      ['matrix', new Float32Array([0])],
    ]),
    0.1,
  );
  close(params.get('norm')![0], 1);
  close(params.get('matrix')![0], 0.95);
});

test('AdamW: state exported and imported continues identically', () => {
  const a = one(1);
  const b = one(1);
  const first = new AdamW();
  first.step(a, one(0.3), 0.01);
  const second = new AdamW();
  const saved = first.exportState();
  second.importState({ ...saved, tensors: new Map([...saved.tensors].map(([k, v]) => [k, v.slice()])) });
  b.get('w')!.set(a.get('w')!);
  first.step(a, one(-0.7), 0.01);
  second.step(b, one(-0.7), 0.01);
  assert.equal(a.get('w')![0], b.get('w')![0]);
});

test('SGD: plain and with momentum (torch: buffer starts at the first gradient)', () => {
  const plain = one(1);
  new Sgd().step(plain, one(0.5), 0.1);
  close(plain.get('w')![0], 0.95);

  const params = one(1);
  const sgd = new Sgd({ momentum: 0.9 });
  sgd.step(params, one(0.5), 0.1);
  close(params.get('w')![0], 0.95);
  sgd.step(params, one(0.5), 0.1); // buffer 0.9·0.5 + 0.5 = 0.95
  close(params.get('w')![0], 0.855);
});

test('global-norm clipping scales every tensor together and leaves small gradients alone', () => {
  const grads: Params = new Map([
    ['a', new Float32Array([3])],
    ['b', new Float32Array([4])],
  ]);
  assert.equal(globalNorm(grads), 5);
  assert.equal(clipGradients(grads, 1), 5);
  close(grads.get('a')![0], 0.6);
  close(grads.get('b')![0], 0.8);
  const small: Params = new Map([['a', new Float32Array([0.3])]]);
  clipGradients(small, 1);
  close(small.get('a')![0], 0.3);
  assert.ok(Number.isNaN(globalNorm(new Map([['a', new Float32Array([Number.NaN])]]))));
});

test('accumulation weighted by tokens equals the mean over all tokens', () => {
  const sum: Params = new Map();
  accumulateInto(sum, new Map([['g', new Float32Array([1, 2])]]), 3);
  accumulateInto(sum, new Map([['g', new Float32Array([5, -2])]]), 1);
  scaleInPlace(sum, 1 / 4);
  assert.deepEqual([...sum.get('g')!], [2, 1]);
});

test('cosine schedule: linear warmup to the peak, half at mid-decay, zero at the end', () => {
  const schedule = { peak: 1, warmupSteps: 4, totalSteps: 14 };
  [0.2, 0.4, 0.6, 0.8].forEach((lr, step) => close(learningRateAt(schedule, step), lr));
  close(learningRateAt(schedule, 4), 1);
  close(learningRateAt(schedule, 9), 0.5);
  close(learningRateAt(schedule, 14), 0);
  close(learningRateAt({ ...schedule, minRatio: 0.1 }, 14), 0.1);
  const noWarmup = { peak: 2, warmupSteps: 0, totalSteps: 10 };
  close(learningRateAt(noWarmup, 0), 2);
});
