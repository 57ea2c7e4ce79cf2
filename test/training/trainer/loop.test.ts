// The training loop on a tiny bigram step model: determinism, resume, divergence, early stopping, accumulation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runTrainingLoop, type LoopOptions, type TrainingEvent, type TrainingHyperparameters } from '../../../src/training/trainer/loop.ts';
import { packSamples, type TokenizedSample } from '../../../src/training/trainer/packing.ts';
import { isPersonaError } from '../../../src/errors.ts';
import { BIGRAM, bigramParams, createBigramStepModel } from './bigram-step-model.ts';

const V = 12;
const SEQ = 16;
/** Sequences that follow i → i+step (mod V): learnable by a bigram table. */
function samples(count: number, step: number): TokenizedSample[] {
  return Array.from({ length: count }, (_, n) => {
    const ids = Array.from({ length: 3 + (n % 6) }, (_, i) => (n + i * step) % V);
    return { ids, targets: new Uint8Array(ids.length).fill(1, 1), weight: 1 };
  });
}
const trainRows = packSamples(samples(60, 1), { seqLen: SEQ, padId: 0, seed: 1 });
const validationRows = packSamples(samples(12, 1), { seqLen: SEQ, padId: 0, seed: 2 });

const hyper: TrainingHyperparameters = {
  optimizer: 'adamw',
  learningRate: 0.1,
  weightDecay: 0.01,
  momentum: 0,
  warmupRatio: 0.1,
  gradClip: 1,
  gradAccumulation: 1,
  epochs: 3,
  evalEvery: 4,
  earlyStoppingPatience: 0,
  seed: 42,
  batchSize: 4,
  seqLen: SEQ,
};

function run(overrides: Partial<LoopOptions> = {}, hyperOverrides: Partial<TrainingHyperparameters> = {}) {
  const events: TrainingEvent[] = [];
  const trainable = bigramParams(V);
  const promise = runTrainingLoop({
    model: createBigramStepModel(V),
    frozen: new Map(),
    trainable,
    trainRows,
    validationRows,
    padId: 0,
    hyper: { ...hyper, ...hyperOverrides },
    onEvent: (event) => events.push(event),
    ...overrides,
  });
  return { promise, events, trainable };
}
const losses = (events: TrainingEvent[]) => events.flatMap((e) => (e.type === 'step' ? [e.loss] : []));

test('training lowers the validation loss and the same seed gives identical losses and params', async () => {
  const a = run();
  const b = run();
  const [ra, rb] = await Promise.all([a.promise, b.promise]);
  assert.equal(ra.totalSteps, 3 * Math.ceil(trainRows.length / 4));
  assert.ok(ra.bestValidationLoss! < ra.initialValidationLoss! * 0.7, `${ra.initialValidationLoss} → ${ra.bestValidationLoss}`);
  assert.deepEqual(losses(a.events), losses(b.events));
  assert.deepEqual(ra.params.get(BIGRAM), rb.params.get(BIGRAM));
  const other = await run({}, { seed: 43 }).promise;
  assert.notDeepEqual(other.params.get(BIGRAM), ra.params.get(BIGRAM));
});

test('interrupted after k steps and resumed, the run ends bit-identical to an uninterrupted one', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'trainer-resume-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const checkpoint = { path: join(dir, 'checkpoint.json'), fingerprint: 'run-1', everySteps: 5 };
  const straightRun = run();
  const straight = await straightRun.promise;

  const controller = new AbortController();
  const first = run({
    checkpoint,
    signal: controller.signal,
    onEvent: (event) => {
      if (event.type === 'step' && event.step === 7) controller.abort();
    },
  });
  await assert.rejects(first.promise, (error) => isPersonaError(error, 'training_interrupted'));
  assert.ok(existsSync(checkpoint.path));
  assert.deepEqual(
    readdirSync(dir).filter((name) => name.startsWith('step-')),
    [`step-7-${process.pid}`],
    'older tensor folders are removed',
  );

  const resumed = run({ checkpoint });
  const result = await resumed.promise;
  assert.equal(result.resumedFromStep, 7);
  assert.deepEqual(result.params.get(BIGRAM), straight.params.get(BIGRAM));
  assert.deepEqual(result.evals, straight.evals);
  assert.deepEqual(losses(resumed.events), losses(straightRun.events).slice(7));

  // A checkpoint of a different run (other fingerprint) is ignored: training starts afresh.
  const fresh = await run({ checkpoint: { ...checkpoint, fingerprint: 'run-2' } }).promise;
  assert.equal(fresh.resumedFromStep, 0);
});

test('an exploding loss stops with training_diverged and removes the checkpoint', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'trainer-diverge-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const checkpoint = { path: join(dir, 'checkpoint.json'), fingerprint: 'x', everySteps: 1 };
  const { promise } = run({ checkpoint }, { optimizer: 'sgd', learningRate: 1e4, gradClip: 0, warmupRatio: 0 });
  await assert.rejects(promise, (error) => isPersonaError(error, 'training_diverged') && /lower learning rate/.test((error as Error).message));
  assert.equal(existsSync(checkpoint.path), false);
});

test('early stopping ends the run when validation stops improving and keeps the best params', async () => {
  // Validation follows i → i+5: learning i → i+1 makes it worse after a while.
  const shifted = packSamples(samples(12, 5), { seqLen: SEQ, padId: 0, seed: 2 });
  const { promise } = run({ validationRows: shifted }, { evalEvery: 1, earlyStoppingPatience: 2, epochs: 10 });
  const result = await promise;
  assert.equal(result.stopReason, 'early_stopping');
  assert.ok(result.steps < result.totalSteps);
  assert.equal(result.steps, result.bestStep + 2);
  assert.equal(result.bestValidationLoss, Math.min(...result.evals.map((e) => e.validationLoss)));
});

test('gradient accumulation over 2 micro-batches of 2 rows equals one batch of 4 rows', async () => {
  const one = { epochs: 1, maxSteps: 1, optimizer: 'sgd' as const, warmupRatio: 0, gradClip: 0 };
  const big = await run({ validationRows: [] }, { ...one, batchSize: 4 }).promise;
  const accumulated = await run({ validationRows: [] }, { ...one, batchSize: 2, gradAccumulation: 2 }).promise;
  const a = big.params.get(BIGRAM)!;
  const b = accumulated.params.get(BIGRAM)!;
  assert.ok(a.some((x) => x !== 0));
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i] - b[i]) < 1e-6, `param ${i}: ${a[i]} vs ${b[i]}`);
});
