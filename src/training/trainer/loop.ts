/**
 * The training loop, top to bottom: restore or start, then per optimizer step — take
 * micro-batches in this epoch's order, run the step model, accumulate token-weighted
 * gradients, stop on divergence, clip, schedule, update; evaluate every N steps with early
 * stopping; checkpoint periodically and when interrupted. It knows nothing of personas or
 * files besides its checkpoint, so the scheduler, the CLI and the tests drive it alike.
 *
 * Determinism: the row order of every epoch comes from one seeded Rng whose state is
 * checkpointed, and the step model's dropout masks from (seed, step, micro-batch), so a run
 * interrupted at any step and resumed ends bit-identical to an uninterrupted one.
 */
import { PersonaError } from '../../errors.js';
import type { FrozenParams } from '../frozen-weights.js';
import type { StepModel } from '../step-model.js';
import { rowsToBatch } from './batches.js';
import { readCheckpoint, removeCheckpoint, writeCheckpoint, type EvalRecord, type LoopState } from './checkpoint.js';
import { accumulateInto, clipGradients, globalNorm, scaleInPlace } from './gradients.js';
import { createOptimizer, type OptimizerName, type Params } from './optimizers.js';
import type { PackedRow } from './packing.js';
import { Rng } from '../../util/random.js';
import { learningRateAt, warmupStepsFor } from './schedule.js';

export interface TrainingHyperparameters {
  optimizer: OptimizerName;
  learningRate: number;
  weightDecay: number;
  /** SGD momentum (ignored by AdamW). */
  momentum: number;
  warmupRatio: number;
  /** Max global gradient norm; 0 disables clipping. */
  gradClip: number;
  gradAccumulation: number;
  epochs: number;
  /** When set, the run is exactly this many optimizer steps (epochs is then ignored). */
  maxSteps?: number;
  evalEvery: number;
  /** Evaluations without improvement before stopping; 0 disables early stopping. */
  earlyStoppingPatience: number;
  seed: number;
  batchSize: number;
  seqLen: number;
}

export type TrainingEvent =
  | { type: 'start'; totalSteps: number; resumedFromStep: number; trainRows: number; validationRows: number }
  | {
      type: 'step';
      step: number;
      totalSteps: number;
      epoch: number;
      loss: number;
      learningRate: number;
      gradNorm: number;
      tokens: number;
      /** Token positions processed per second (batch × seq_len × accumulation / step time). */
      tokensPerSecond: number;
      elapsedSeconds: number;
    }
  | { type: 'eval'; step: number; validationLoss: number; improved: boolean }
  | { type: 'checkpoint'; step: number; path: string };

export interface LoopOptions {
  model: StepModel;
  /** Frozen base weights (LoRA): float32, or float16 bits for the matrices (frozen-weights.ts). */
  frozen: FrozenParams;
  /** Updated in place; on return holds the final (not necessarily best) values. */
  trainable: Params;
  trainRows: readonly PackedRow[];
  validationRows: readonly PackedRow[];
  padId: number;
  hyper: TrainingHyperparameters;
  checkpoint?: { path: string; fingerprint: string; everySteps?: number; everySeconds?: number };
  /** Aborting finishes the current step, writes a checkpoint and throws training_interrupted. */
  signal?: AbortSignal;
  onEvent?: (event: TrainingEvent) => void;
}

export type StopReason = 'completed' | 'early_stopping';

export interface LoopResult {
  steps: number;
  totalSteps: number;
  stopReason: StopReason;
  resumedFromStep: number;
  initialValidationLoss: number | null;
  bestValidationLoss: number | null;
  bestStep: number;
  finalTrainLoss: number | null;
  evals: EvalRecord[];
  tokensSeen: number;
  elapsedSeconds: number;
  /** Params to ship: those of the best validation loss, or the final ones without validation data. */
  params: Params;
}

/** A step whose loss exceeds this multiple of the first step's loss has exploded. */
export const DIVERGENCE_FACTOR = 3;

export function totalStepsFor(hyper: TrainingHyperparameters, trainRows: number): number {
  if (hyper.maxSteps !== undefined) return hyper.maxSteps;
  const stepsPerEpoch = Math.ceil(Math.ceil(trainRows / hyper.batchSize) / hyper.gradAccumulation);
  return Math.max(1, Math.ceil(hyper.epochs * stepsPerEpoch));
}

export async function runTrainingLoop(options: LoopOptions): Promise<LoopResult> {
  const { model, frozen, trainable, trainRows, validationRows, padId, hyper, signal, onEvent } = options;
  if (trainRows.length === 0) throw new PersonaError('dataset_empty', 'There is nothing to train on: the training split packed into zero rows.');
  const totalSteps = totalStepsFor(hyper, trainRows.length);
  const schedule = { peak: hyper.learningRate, warmupSteps: warmupStepsFor(totalSteps, hyper.warmupRatio), totalSteps };
  const optimizer = createOptimizer(hyper.optimizer, { weightDecay: hyper.weightDecay, momentum: hyper.momentum }, model.trainableShapes);
  const evaluate = () => validationLoss(model, frozen, trainable, validationRows, hyper, padId);

  const restored = options.checkpoint ? readCheckpoint(options.checkpoint.path) : null;
  let state: LoopState;
  let best: Params | null = null;
  let rng: Rng;
  if (restored && restored.state.fingerprint === options.checkpoint!.fingerprint) {
    state = restored.state;
    for (const [name, data] of restored.params) trainable.get(name)?.set(data);
    optimizer.importState({ name: state.optimizer.name, step: state.optimizer.step, tensors: restored.optimizerTensors });
    best = restored.best;
    rng = Rng.fromState(state.rngState);
  } else {
    rng = new Rng(hyper.seed);
    state = freshState(options.checkpoint?.fingerprint ?? '', rng, trainRows.length);
  }
  const resumedFromStep = state.step;
  onEvent?.({ type: 'start', totalSteps, resumedFromStep, trainRows: trainRows.length, validationRows: validationRows.length });

  /** NaN or exploding loss: the checkpoint is poisoned too, so it goes; nothing else was written. */
  const diverged = (what: string, step: number) => {
    if (options.checkpoint) removeCheckpoint(options.checkpoint.path);
    return new PersonaError(
      'training_diverged',
      `Training diverged at step ${step}: ${what}. Nothing was saved and the previous model is untouched; try a lower learning rate (now ${hyper.learningRate}).`,
      { step, learningRate: hyper.learningRate },
    );
  };
  const recordEval = (loss: number) => {
    if (!Number.isFinite(loss)) throw diverged(`validation loss is ${loss}`, state.step);
    const improved = state.bestValidationLoss === null || loss < state.bestValidationLoss;
    state.evals.push({ step: state.step, validationLoss: loss });
    if (improved) {
      state.bestValidationLoss = loss;
      state.bestStep = state.step;
      state.evalsWithoutImprovement = 0;
      best = copyParams(trainable);
    } else {
      state.evalsWithoutImprovement += 1;
    }
    onEvent?.({ type: 'eval', step: state.step, validationLoss: loss, improved });
  };
  if (state.step === 0 && state.evals.length === 0 && validationRows.length > 0) recordEval(await evaluate());

  const save = () => {
    if (!options.checkpoint) return;
    state.rngState = rng.getState();
    const exported = optimizer.exportState();
    state.optimizer = { name: exported.name, step: exported.step };
    writeCheckpoint(options.checkpoint.path, { state, params: trainable, optimizerTensors: exported.tensors, best });
    onEvent?.({ type: 'checkpoint', step: state.step, path: options.checkpoint.path });
  };
  let lastSave = performance.now();
  /** Reused across steps: at 135M parameters a fresh gradient sum per step would be 540 MB of garbage. */
  const accumulation: Params = new Map();
  let stopReason: StopReason = 'completed';

  while (state.step < totalSteps) {
    if (signal?.aborted) {
      save();
      throw new PersonaError(
        'training_interrupted',
        `Training was interrupted at step ${state.step} of ${totalSteps}; run the same command again to resume from the checkpoint.`,
        {
          step: state.step,
          checkpoint: options.checkpoint?.path,
        },
      );
    }
    const started = performance.now();
    const { loss, tokens, grads } = await accumulatedStep(options, state, rng, accumulation);
    const gradNorm = hyper.gradClip > 0 ? clipGradients(grads, hyper.gradClip) : globalNorm(grads);
    if (tokens > 0) state.firstLoss ??= loss;
    const exploded = state.firstLoss !== null && loss > DIVERGENCE_FACTOR * state.firstLoss;
    if (!Number.isFinite(loss) || !Number.isFinite(gradNorm) || exploded) {
      throw diverged(`loss ${loss.toPrecision(4)} (first step ${state.firstLoss?.toPrecision(4)}), gradient norm ${gradNorm.toPrecision(4)}`, state.step + 1);
    }
    const learningRate = learningRateAt(schedule, state.step);
    if (tokens > 0) optimizer.step(trainable, grads, learningRate);
    state.step += 1;
    state.lastLoss = loss;
    state.tokensSeen += tokens;
    const seconds = (performance.now() - started) / 1000;
    state.elapsedSeconds += seconds;
    const positions = hyper.batchSize * hyper.seqLen * hyper.gradAccumulation;
    onEvent?.({
      type: 'step',
      step: state.step,
      totalSteps,
      epoch: state.epoch + state.cursor / state.order.length,
      loss,
      learningRate,
      gradNorm,
      tokens,
      tokensPerSecond: positions / Math.max(seconds, 1e-9),
      elapsedSeconds: state.elapsedSeconds,
    });

    if (validationRows.length > 0 && (state.step % hyper.evalEvery === 0 || state.step === totalSteps)) {
      recordEval(await evaluate());
      if (hyper.earlyStoppingPatience > 0 && state.evalsWithoutImprovement >= hyper.earlyStoppingPatience) {
        stopReason = 'early_stopping';
        break;
      }
    }
    const every = options.checkpoint;
    if (every && state.step < totalSteps) {
      const dueBySteps = every.everySteps !== undefined && state.step % every.everySteps === 0;
      const dueByTime = (performance.now() - lastSave) / 1000 >= (every.everySeconds ?? 300);
      if (dueBySteps || dueByTime) {
        save();
        lastSave = performance.now();
      }
    }
  }

  return {
    steps: state.step,
    totalSteps,
    stopReason,
    resumedFromStep,
    initialValidationLoss: state.evals[0]?.validationLoss ?? null,
    bestValidationLoss: state.bestValidationLoss,
    bestStep: state.bestStep,
    finalTrainLoss: state.lastLoss,
    evals: state.evals,
    tokensSeen: state.tokensSeen,
    elapsedSeconds: state.elapsedSeconds,
    params: best ?? trainable,
  };
}

function freshState(fingerprint: string, rng: Rng, rows: number): LoopState {
  return {
    fingerprint,
    step: 0,
    epoch: 0,
    cursor: 0,
    order: rng.shuffle(range(rows)),
    rngState: rng.getState(),
    optimizer: { name: 'adamw', step: 0 },
    firstLoss: null,
    lastLoss: null,
    bestValidationLoss: null,
    bestStep: 0,
    evalsWithoutImprovement: 0,
    evals: [],
    tokensSeen: 0,
    elapsedSeconds: 0,
  };
}

/**
 * One optimizer step's worth of micro-batches. Gradients are weighted by each micro-batch's
 * token count and divided by the total, i.e. the gradient of the mean loss over all tokens;
 * they are summed into `sum`, zeroed here first.
 */
async function accumulatedStep(options: LoopOptions, state: LoopState, rng: Rng, sum: Params): Promise<{ loss: number; tokens: number; grads: Params }> {
  const { model, frozen, trainable, trainRows, padId, hyper } = options;
  for (const buffer of sum.values()) buffer.fill(0);
  let lossSum = 0;
  let tokens = 0;
  for (let micro = 0; micro < hyper.gradAccumulation; micro++) {
    const rows = takeRows(state, rng, trainRows, hyper.batchSize);
    // Dropout masks are a function of (seed, step, micro-batch), so a resumed run draws the same ones.
    const result = await model.step(rowsToBatch(rows, hyper.batchSize, hyper.seqLen, padId), frozen, trainable, state.step * hyper.gradAccumulation + micro);
    if (result.tokens === 0) continue;
    if (hyper.gradAccumulation === 1) return result;
    accumulateInto(sum, result.grads, result.tokens);
    lossSum += result.loss * result.tokens;
    tokens += result.tokens;
  }
  if (tokens === 0) return { loss: 0, tokens: 0, grads: new Map() };
  scaleInPlace(sum, 1 / tokens);
  return { loss: lossSum / tokens, tokens, grads: sum };
}

/** The next rows of this epoch; a batch never spans two epochs (the last one is padded). */
function takeRows(state: LoopState, rng: Rng, rows: readonly PackedRow[], batchSize: number): PackedRow[] {
  if (state.cursor >= state.order.length) {
    state.epoch += 1;
    state.cursor = 0;
    state.order = rng.shuffle(range(rows.length));
  }
  const picked = state.order.slice(state.cursor, state.cursor + batchSize).map((i) => rows[i]);
  state.cursor += picked.length;
  return picked;
}

/** Token-weighted mean loss over all validation rows. */
export async function validationLoss(
  model: StepModel,
  frozen: FrozenParams,
  trainable: Params,
  rows: readonly PackedRow[],
  hyper: Pick<TrainingHyperparameters, 'batchSize' | 'seqLen'>,
  padId: number,
): Promise<number> {
  let lossSum = 0;
  let tokens = 0;
  for (let start = 0; start < rows.length; start += hyper.batchSize) {
    const batch = rowsToBatch(rows.slice(start, start + hyper.batchSize), hyper.batchSize, hyper.seqLen, padId);
    const result = await model.evalLoss(batch, frozen, trainable);
    if (result.tokens === 0) continue;
    lossSum += result.loss * result.tokens;
    tokens += result.tokens;
  }
  return tokens === 0 ? Number.NaN : lossSum / tokens;
}

function copyParams(params: Params): Params {
  return new Map([...params].map(([name, data]) => [name, data.slice()]));
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}
