/**
 * The training run's planned peak memory, before anything is loaded: frozen and trainable
 * weights, gradients and AdamW state, the activations the backward keeps (per layer and
 * token, fitted to measured peak RSS of bench:train cases), the lm_head loss chunk and the
 * runtime's own footprint. `persona train` prints it and refuses a run the machine cannot
 * hold (training_memory), naming the levers: a shorter sequence or batch (with gradient
 * accumulation to keep the effective batch), and LoRA instead of full fine-tuning.
 *
 * The estimate is a model, not a measurement: fitted to the peak RSS of bench:train cases
 * (see KEPT); ONNX Runtime's arena can round up and a shared machine's figures move.
 */
import { freemem, totalmem } from 'node:os';
import { PersonaError } from '../errors.js';
import { llamaParameterShapes, type LlamaConfig } from '../modelfmt/hf-config.js';
import { modelSpec } from '../modelfmt/arch/spec.js';
import { attentionBlocks } from './attention.js';
import { narrowedNames, type FrozenDtype } from './frozen-weights.js';
import { defaultLossChunkRows } from './llama.js';
import { loraParameterShapes, mergedWeightBytes, type LoraOptions } from './lora-adapters.js';

export interface MemoryPlanInput {
  config: LlamaConfig;
  method: 'full' | 'lora';
  lora?: LoraOptions;
  batchSize: number;
  seqLen: number;
  frozenDtype: FrozenDtype;
  /** Activation checkpointing (each layer recomputed in the backward). */
  checkpoint?: boolean;
}

export interface MemoryPlan {
  /** Bytes by part; peakBytes is their sum. */
  parts: { weights: number; trainable: number; activations: number; loss: number; runtime: number };
  peakBytes: number;
  frozenDtype: FrozenDtype;
  checkpoint: boolean;
}

/**
 * Floats the backward keeps per token and layer: per hidden unit, per MLP unit and per
 * attended key and head. Fitted (least squares, with ACTIVATION_BASE) to peak RSS minus
 * weights, trainable, loss and runtime of the bench:train LoRA cases (B1 x T512, float16
 * base, 2026-12-04 22:25 UTC): Qwen2.5-0.5B 3,699 MiB, Llama-3.2-1B 5,529, Gemma-3-270m
 * 2,609 — the shape (5 : 9 : 1) of the earlier fit, scaled by 0.53 since RoPE, RMSNorm and
 * the lm_head stopped keeping or widening copies. Errors of the whole plan: see
 * docs/benchmarks.md (issue 15 section).
 */
const KEPT = { hidden: 2.65, mlp: 4.8, scores: 0.53 };
/** Activations not proportional to layers × tokens (fitted with KEPT). */
const ACTIVATION_BASE = 60 * 2 ** 20;
/**
 * Checkpointed: besides every layer's input and one layer's activations, what the measured
 * peaks hold over them (the allocator's retained blocks, the recomputed layer's backward
 * temporaries): ~500 MiB at 0.5–1B with a 512-token row (fitted: Qwen2.5-0.5B 3,085 MiB,
 * Llama-3.2-1B 5,039; float32 base 3,589).
 */
const CHECKPOINT_BASE = 500 * 2 ** 20;
/** Process baseline: Node, ONNX Runtime's libraries, the graph and session (fitted). */
const RUNTIME_BYTES = 450 * 2 ** 20;
/** (rows, vocab) float32 tensors alive at once in a loss chunk (logits, softmax, gradient). */
const LOSS_TEMPS = 3;

/**
 * LoRA holds the frozen matrices in float16 (exact widening, see frozen-weights.ts) when the
 * float32 plan would take more than this share of the machine's memory. Float16 costs time:
 * at Qwen2.5-0.5B (B1 x T512, quiet, 2026-12-04 20:22) a step took 4.86 s against 4.16 s
 * fed float32 (the widening Casts of the whole base, forward and backward) for 3,917 against
 * 4,141 MiB peak (the widened lm_head lives through the loss, at the activation peak); the
 * saving grows with the base (1.2 GB of the 2.5 GB of a 1B base's matrices).
 * Keyed on total memory, not what is free now, so a resumed run makes the same choice.
 */
export const FLOAT16_FROZEN_SHARE = 0.4;

/** Parameters in the layers' matrices (what a float16 base widens, layer by layer). */
const layerMatrices = (shapes: Map<string, number[]>) =>
  [...shapes].filter(([name, shape]) => name.startsWith('model.layers.') && shape.length === 2).reduce((s, [, shape]) => s + shape[0] * shape[1], 0);

const count = (shapes: Map<string, number[]>) => [...shapes.values()].reduce((s, shape) => s + shape.reduce((a, b) => a * b, 1), 0);

/** The frozen element type a run uses: float16 for LoRA whose float32 plan exceeds FLOAT16_FROZEN_SHARE of `totalBytes`. */
export function frozenDtypeFor(input: Omit<MemoryPlanInput, 'frozenDtype'>, totalBytes: number): FrozenDtype {
  if (input.method !== 'lora') return 'float32';
  return planTrainingMemory({ ...input, frozenDtype: 'float32' }).peakBytes > FLOAT16_FROZEN_SHARE * totalBytes ? 'float16' : 'float32';
}

export function planTrainingMemory(input: MemoryPlanInput): MemoryPlan {
  const { config, method, batchSize, seqLen } = input;
  const shapes = llamaParameterShapes(config);
  const narrow = narrowedNames(shapes, method === 'lora' ? input.frozenDtype : 'float32');
  let weights = 0;
  for (const [name, shape] of shapes) weights += shape.reduce((a, b) => a * b, 1) * (narrow.has(name) ? 2 : 4);
  // Trainable: gradients out of the step, the accumulated copy and AdamW's two moments (+ the values themselves for LoRA).
  const trainable = method === 'full' ? count(shapes) * 16 : count(loraParameterShapes(config, input.lora!)) * 20;

  const { hidden_size: d, intermediate_size: f, num_attention_heads: h, vocab_size: v, num_hidden_layers: layers } = config;
  const blocks = attentionBlocks(seqLen);
  const attended = (seqLen * (blocks + 1)) / (2 * blocks);
  const perTokenLayer = KEPT.hidden * d + KEPT.mlp * f + KEPT.scores * h * attended;
  const tokens = batchSize * seqLen;
  // Checkpointed: every layer's input, plus one layer's activations while it is recomputed and differentiated.
  // Checkpointed, the recomputed layer's float16 matrices are widened twice (its second forward and its backward).
  const widenedLayer = narrow.size > 0 ? (layerMatrices(shapes) * 4 * 2) / layers : 0;
  const merged = method === 'lora' ? mergedWeightBytes(config, input.lora!, tokens) : 0;
  const activations =
    merged +
    (input.checkpoint ? (layers * d + perTokenLayer) * tokens * 4 + widenedLayer + CHECKPOINT_BASE : perTokenLayer * tokens * layers * 4 + ACTIVATION_BASE);

  // Soft-capped logits (Gemma) are formed whole; otherwise lm_head runs in row chunks (the lm_head matrix is never narrowed).
  const rows = modelSpec(config).finalSoftcap === undefined ? defaultLossChunkRows(tokens, v) : tokens;
  const loss = rows * v * 4 * LOSS_TEMPS;
  const parts = { weights, trainable, activations, loss, runtime: RUNTIME_BYTES };
  return {
    parts,
    peakBytes: Object.values(parts).reduce((a, b) => a + b, 0),
    frozenDtype: narrow.size > 0 ? 'float16' : 'float32',
    checkpoint: input.checkpoint === true,
  };
}

/**
 * Activation checkpointing turns on by itself when the plan without it would take more than
 * this share of the machine's memory, or more than is available now: it costs about one
 * more forward pass per step (see docs/benchmarks.md), so only runs that need it pay.
 */
export const CHECKPOINT_SHARE = 0.6;

/**
 * The plan a run on this machine uses: float16 frozen weights by FLOAT16_FROZEN_SHARE, and
 * checkpointing as asked (`checkpoint`) or, by default, when the budget needs it.
 */
export function planForMachine(
  input: Omit<MemoryPlanInput, 'frozenDtype' | 'checkpoint'>,
  machine: { totalBytes: number; freeBytes: number },
  checkpoint?: boolean,
): MemoryPlan {
  const frozenDtype = frozenDtypeFor(input, machine.totalBytes);
  const kept = planTrainingMemory({ ...input, frozenDtype, checkpoint: false });
  const needs = kept.peakBytes > Math.min(machine.freeBytes, CHECKPOINT_SHARE * machine.totalBytes);
  return (checkpoint ?? needs) ? planTrainingMemory({ ...input, frozenDtype, checkpoint: true }) : kept;
}

export const gib = (bytes: number) => `${(bytes / 2 ** 30).toFixed(1)} GiB`;

/** One line for the CLI: the planned peak and its biggest parts. */
export function describePlan(plan: MemoryPlan): string {
  const p = plan.parts;
  return `planned peak memory ${gib(plan.peakBytes)} (weights ${gib(p.weights)}${plan.frozenDtype === 'float16' ? ' as float16' : ''}, trainable + optimizer ${gib(p.trainable)}, activations ${gib(p.activations)}${plan.checkpoint ? ' with layers recomputed' : ''}, loss ${gib(p.loss)}, runtime ${gib(p.runtime)})`;
}

/**
 * Refuses a run whose planned peak exceeds the memory available now (`freeBytes`, the
 * kernel's MemAvailable) with a message naming the figures and the levers.
 */
export function checkMemoryFits(
  plan: MemoryPlan,
  machine: { totalBytes: number; freeBytes: number },
  input: { method: 'full' | 'lora'; batchSize: number; seqLen: number },
): void {
  if (plan.peakBytes <= machine.freeBytes) return;
  const levers = [
    input.seqLen > 128 ? `a shorter --seq-len (e.g. ${Math.max(128, input.seqLen >> 1)})` : undefined,
    input.batchSize > 1 ? `a smaller --batch-size with training.grad_accumulation to keep the effective batch` : undefined,
    input.method === 'full' ? '--method lora' : undefined,
    plan.checkpoint ? undefined : '--checkpoint (recompute layers in the backward)',
  ].filter((x): x is string => x !== undefined);
  const suggestion = levers.length ? `try ${levers.join(', or ')}` : 'use a smaller base model';
  throw new PersonaError(
    'training_memory',
    `This training run needs about ${gib(plan.peakBytes)} of memory but ${gib(machine.freeBytes)} of ${gib(machine.totalBytes)} is available: ${suggestion}.`,
    { peakBytes: plan.peakBytes, freeBytes: machine.freeBytes, totalBytes: machine.totalBytes, field: 'seq_len' },
  );
}

/** This machine's memory now: total and available (os.freemem is the kernel's MemAvailable). */
export function machineMemory(): { totalBytes: number; freeBytes: number } {
  return { totalBytes: totalmem(), freeBytes: freemem() };
}
