/**
 * Training settings: the persona file's `training:` section with command-line overrides on
 * top, resolved into the loop's hyperparameters plus the method and LoRA settings. Defaults
 * that the persona schema leaves open (learning rate, SGD momentum) are decided here.
 */
import { PersonaError } from '../../errors.js';
import type { Persona } from '../../personas/schema.js';
import type { LoraOptions } from '../lora-adapters.js';
import type { TrainingHyperparameters } from './loop.js';
import type { OptimizerName } from './optimizers.js';

export type TrainingMethod = 'full' | 'lora';

/** What `persona train` flags (and the scheduler) may override. */
export interface TrainingOverrides {
  method?: TrainingMethod;
  epochs?: number;
  maxSteps?: number;
  learningRate?: number;
  batchSize?: number;
  seqLen?: number;
  optimizer?: OptimizerName;
  seed?: number;
  /** LoRA rank (`--lora-rank`); alpha stays the persona file's, as PEFT's `r` override does. */
  loraRank?: number;
  /** Activation checkpointing (`--checkpoint` / `--no-checkpoint`); unset: the memory plan decides (memory-plan.ts). */
  checkpoint?: boolean;
}

export interface ResolvedTraining {
  method: TrainingMethod;
  hyper: TrainingHyperparameters;
  lora: LoraOptions;
}

/**
 * Peak learning rates when the persona names none: LoRA adapters start at zero and tolerate
 * (and need) a larger step than the pretrained weights of a full fine-tune; SGD runs with
 * momentum 0.9 and a larger step than AdamW.
 */
const DEFAULT_LEARNING_RATE: Record<OptimizerName, Record<TrainingMethod, number>> = {
  // LoRA 3e-3: bench:fidelity (docs/benchmarks.md) measured it ahead of 1e-3 at equal steps.
  adamw: { lora: 3e-3, full: 3e-4 },
  sgd: { lora: 0.1, full: 0.05 },
};
const SGD_MOMENTUM = 0.9;

export function resolveTraining(persona: Persona, overrides: TrainingOverrides = {}): ResolvedTraining {
  const t = persona.training;
  const method = overrides.method ?? t.method;
  const optimizer = overrides.optimizer ?? t.optimizer;
  const hyper: TrainingHyperparameters = {
    optimizer,
    learningRate: overrides.learningRate ?? t.learning_rate ?? DEFAULT_LEARNING_RATE[optimizer][method],
    weightDecay: t.weight_decay,
    momentum: optimizer === 'sgd' ? SGD_MOMENTUM : 0,
    warmupRatio: t.warmup_ratio,
    gradClip: t.grad_clip,
    gradAccumulation: t.grad_accumulation,
    epochs: overrides.epochs ?? t.epochs,
    maxSteps: overrides.maxSteps ?? t.max_steps,
    evalEvery: t.eval_every,
    earlyStoppingPatience: t.early_stopping_patience,
    seed: overrides.seed ?? t.seed,
    batchSize: overrides.batchSize ?? t.batch_size,
    seqLen: overrides.seqLen ?? t.seq_len,
  };
  check(hyper.epochs > 0, 'epochs', 'a positive number');
  check(hyper.maxSteps === undefined || (Number.isInteger(hyper.maxSteps) && hyper.maxSteps > 0), 'max-steps', 'a positive integer');
  check(hyper.learningRate > 0 && Number.isFinite(hyper.learningRate), 'lr', 'a positive number');
  check(Number.isInteger(hyper.batchSize) && hyper.batchSize > 0, 'batch-size', 'a positive integer');
  check(Number.isInteger(hyper.seqLen) && hyper.seqLen >= 16, 'seq-len', 'an integer of at least 16');
  check(Number.isInteger(hyper.seed), 'seed', 'an integer');
  check(overrides.loraRank === undefined || (Number.isInteger(overrides.loraRank) && overrides.loraRank > 0), 'lora-rank', 'a positive integer');
  const lora: LoraOptions = { r: overrides.loraRank ?? t.lora.r, alpha: t.lora.alpha, dropout: t.lora.dropout, targetModules: t.lora.target_modules };
  return { method, hyper, lora };
}

function check(ok: boolean, field: string, expected: string): void {
  if (!ok) throw new PersonaError('invalid_argument', `--${field} must be ${expected}.`, { field });
}
