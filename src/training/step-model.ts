/**
 * The training engine's contract with the trainer loop (src/training/trainer/): a step
 * model runs one forward + backward of a Llama decoder per call on ONNX Runtime and
 * returns the loss and the gradients of the trainable parameters. The optimizer runs
 * outside the graph, in the trainer (the prototype measured in-graph AdamW no faster).
 *
 * Labels follow Hugging Face: aligned with inputIds, -100 where there is no loss; the
 * model shifts them (position t predicts labels[t + 1]). The loss is the mean over the
 * counted targets; a NaN or infinite loss is returned as is for the caller to act on.
 */
import { PersonaError } from '../errors.js';
import type { LlamaConfig } from '../modelfmt/hf-config.js';
import { llamaParameterShapes } from '../modelfmt/hf-config.js';
import { checkFrozenType, narrowedNames, type FrozenDtype, type FrozenParams } from './frozen-weights.js';
import { gradients } from './graph/autodiff.js';
import { CHECKPOINT_ZERO } from './graph/activation-checkpoint.js';
import { CAST_GATE_ZERO, emitOnnx, type EmittedModel } from './graph/emit.js';
import { Graph, type Tensor } from './graph/ir.js';
import { buildLlama, llamaLogits, llamaLoss, type LlamaGraphOptions } from './llama.js';
import { LoraDropoutMasks, loraParameterShapes, validateLora, type LoraOptions } from './lora-adapters.js';
import { fillNormal, mulberry32 } from '../util/random.js';
import { GraphRunner, type Feed } from './runtime.js';

export { initLoraParams } from './lora-adapters.js';

export interface TokenBatch {
  inputIds: BigInt64Array;
  labels: BigInt64Array;
  batchSize: number;
  seqLen: number;
}
export type Params = Map<string, Float32Array>;

export interface StepModel {
  readonly config: LlamaConfig;
  readonly trainableShapes: Map<string, number[]>;
  /**
   * One forward + backward. `draw` picks the LoRA dropout masks: they depend on (seed, draw)
   * only, so the trainer passes one number per step and micro-batch and a resumed run
   * repeats them (default: the previous draw + 1).
   */
  step(batch: TokenBatch, frozen: FrozenParams, trainable: Params, draw?: number): Promise<{ loss: number; tokens: number; grads: Params }>;
  evalLoss(batch: TokenBatch, frozen: FrozenParams, trainable: Params): Promise<{ loss: number; tokens: number }>;
  dispose(): Promise<void>;
}

export interface StepModelOptions {
  method: 'full' | 'lora';
  lora?: LoraOptions;
  batchSize: number;
  seqLen: number;
  threads?: number;
  seed?: number;
  /** Rows of logits per lm_head chunk (default: ~8M logits at a time). */
  lossChunkRows?: number;
  /** Causal query blocks per sequence (default: by sequence length, see attention.ts). */
  attentionBlocks?: number;
  /** ONNX Runtime contrib kernels (default on; off only to measure what they save). */
  contribOps?: boolean;
  /**
   * Widening Casts of a float16 base gated on their consumers (default on, see emit.ts): a
   * float16 base is chosen when memory is short, and gating lowered Llama-3.2-1B's peak from
   * 6,330 to 5,529 MiB (checkpointed: 6,371 → 5,039), for +13% step time at Qwen2.5-0.5B
   * (4.09 vs 3.62 s, interleaved in one process; its peak did not fall).
   */
  gateCasts?: boolean;
  /**
   * Activation checkpointing: each layer's forward runs again in the backward, so only the
   * layer inputs are kept from the forward (memory-plan.ts decides when a run needs it).
   */
  checkpoint?: boolean;
  /** Write an ONNX Runtime per-op profile of the training session with this prefix. */
  profilePrefix?: string;
  /**
   * ONNX Runtime's CPU memory arena (default on, off with a float16 frozen base: measured at
   * Qwen2.5-0.5B LoRA, B1 x T512, peak RSS 4,515 → 3,930 MiB with the arena off and 118 vs
   * 116 GFLOP per CPU-second, the same within noise: at these sizes the arena's rounding of
   * large blocks costs more memory than its reuse saves time).
   */
  memArena?: boolean;
  /**
   * ONNX Runtime's memory pattern (default off: measured at 135M LoRA, the pattern's one
   * big block raised peak RSS from 2.6 to 4.4 GiB at no measurable speed gain).
   */
  memPattern?: boolean;
  /** Spin-waiting intra-op threads (default off, see runtime.ts). */
  spinning?: boolean;
  /**
   * Element type of the frozen matrices as fed (LoRA): 'float16' halves the base's memory,
   * each matrix widened next to the operators that read it (see frozen-weights.ts).
   */
  frozenDtype?: FrozenDtype;
}

const IGNORE = -100n;
const ZERO = new Float32Array(1);
const ZERO_INT = new BigInt64Array(1);
const GRAD_PREFIX = 'grad:';

export async function createStepModel(config: LlamaConfig, options: StepModelOptions): Promise<StepModel> {
  if (options.method !== 'full' && options.method !== 'lora') {
    throw new PersonaError('invalid_argument', `method must be "full" or "lora", got "${options.method}".`, { field: 'method' });
  }
  for (const field of ['batchSize', 'seqLen'] as const) {
    if (!Number.isInteger(options[field]) || options[field] < 1) {
      throw new PersonaError('invalid_argument', `${field} must be a positive integer, got ${options[field]}.`, { field });
    }
  }
  const lora = options.method === 'lora' ? validateLora(options.lora) : undefined;
  const graphOptions: LlamaGraphOptions = { ...options, lora, dropout: true };
  const trainableShapes = lora ? loraParameterShapes(config, lora) : llamaParameterShapes(config);
  const frozenShapes = lora ? llamaParameterShapes(config) : new Map<string, number[]>();

  const narrow = narrowedNames(frozenShapes, options.frozenDtype ?? 'float32');
  const train = buildTrainGraph(config, graphOptions, narrow, options.gateCasts);
  const runnerOptions = {
    threads: options.threads,
    memArena: options.memArena ?? options.frozenDtype !== 'float16',
    memPattern: options.memPattern ?? false,
    spinning: options.spinning,
  };
  const runner = await GraphRunner.create(train.bytes, { ...runnerOptions, profilePrefix: options.profilePrefix });
  let evalRunner: GraphRunner | undefined;
  const masks = lora && lora.dropout > 0 ? new LoraDropoutMasks(config, lora, options.batchSize * options.seqLen) : undefined;
  let draws = 0;

  let evalAliases = new Map<string, string>();
  const feedsFor = (batch: TokenBatch, frozen: FrozenParams, trainable: Params, aliases: Map<string, string>): Map<string, Feed> => {
    const feeds = new Map<string, Feed>();
    feeds.set('input_ids', { dtype: 'int64', dims: [options.batchSize, options.seqLen], data: checkBatch(batch, options, config) });
    feeds.set('targets', { dtype: 'int64', dims: [batch.labels.length], data: shiftLabels(batch) });
    addParams(feeds, frozenShapes, frozen, 'frozen', narrow);
    addParams(feeds, trainableShapes, trainable, 'trainable');
    for (const [alias, name] of aliases) feeds.set(alias, feeds.get(name)!);
    feeds.set(CAST_GATE_ZERO, { dtype: 'int64', dims: [1], data: ZERO_INT });
    return feeds;
  };

  return {
    config,
    trainableShapes,
    async step(batch, frozen, trainable, draw = draws) {
      const feeds = feedsFor(batch, frozen, trainable, train.aliases);
      draws = draw + 1;
      if (masks) for (const m of masks.fill(options.seed ?? 0, draw).masks) feeds.set(m.name, { dtype: 'bool', dims: m.dims, data: m.data });
      feeds.set(CHECKPOINT_ZERO, { dtype: 'float32', dims: [], data: ZERO });
      const out = await runner.run(feeds, train.outputs);
      const grads: Params = new Map();
      for (const name of trainableShapes.keys()) grads.set(name, out.get(GRAD_PREFIX + name) as Float32Array);
      return { loss: (out.get('loss') as Float32Array)[0], tokens: countTargets(feeds), grads };
    },
    async evalLoss(batch, frozen, trainable) {
      if (!evalRunner) {
        const emitted = buildEvalGraph(config, { ...graphOptions, dropout: false, checkpoint: false }, narrow);
        evalAliases = emitted.aliases;
        evalRunner = await GraphRunner.create(emitted.bytes, runnerOptions);
      }
      const feeds = feedsFor(batch, frozen, trainable, evalAliases);
      const out = await evalRunner.run(feeds, ['loss']);
      return { loss: (out.get('loss') as Float32Array)[0], tokens: countTargets(feeds) };
    },
    async dispose() {
      await runner.release();
      await evalRunner?.release();
    },
  };
}

/** The training step as IR: the loss and the gradient of every trainable parameter, by output name. */
export function buildTrainIR(config: LlamaConfig, options: LlamaGraphOptions): { graph: Graph; outputs: { name: string; tensor: Tensor }[] } {
  const g = new Graph('float32');
  const model = buildLlama(g, config, options);
  const loss = llamaLoss(model, config, options.lossChunkRows);
  const names = [...model.trainable.keys()];
  const grads = gradients(
    loss,
    names.map((n) => model.trainable.get(n)!),
  );
  return { graph: g, outputs: [{ name: 'loss', tensor: loss }, ...names.map((n, i) => ({ name: GRAD_PREFIX + n, tensor: grads[i] }))] };
}

function buildTrainGraph(
  config: LlamaConfig,
  options: LlamaGraphOptions,
  narrowInputs: Set<string>,
  gateCasts?: boolean,
): EmittedModel & { outputs: string[] } {
  const { graph, outputs } = buildTrainIR(config, options);
  return { ...emitOnnx(graph, outputs, { narrowInputs, gateCasts }), outputs: outputs.map((o) => o.name) };
}

function buildEvalGraph(config: LlamaConfig, options: LlamaGraphOptions, narrowInputs: Set<string>): EmittedModel {
  const g = new Graph('float32');
  const model = buildLlama(g, config, options);
  return emitOnnx(g, [{ name: 'loss', tensor: llamaLoss(model, config, options.lossChunkRows) }], { narrowInputs });
}

function checkBatch(batch: TokenBatch, options: StepModelOptions, config: LlamaConfig): BigInt64Array {
  if (batch.batchSize !== options.batchSize || batch.seqLen !== options.seqLen) {
    throw new PersonaError(
      'invalid_argument',
      `batch is ${batch.batchSize}×${batch.seqLen} but the step model was built for batchSize ${options.batchSize} × seqLen ${options.seqLen}.`,
      {
        field: batch.batchSize !== options.batchSize ? 'batchSize' : 'seqLen',
      },
    );
  }
  const n = options.batchSize * options.seqLen;
  for (const field of ['inputIds', 'labels'] as const) {
    if (batch[field].length !== n)
      throw new PersonaError('invalid_argument', `batch.${field} has ${batch[field].length} ids, expected batchSize × seqLen = ${n}.`, { field });
  }
  for (const id of batch.inputIds) {
    if (id < 0n || id >= BigInt(config.vocab_size))
      throw new PersonaError('invalid_argument', `batch.inputIds contains ${id}, outside the vocabulary [0, ${config.vocab_size}).`, { field: 'inputIds' });
  }
  for (const id of batch.labels) {
    if (id !== IGNORE && (id < 0n || id >= BigInt(config.vocab_size))) {
      throw new PersonaError('invalid_argument', `batch.labels contains ${id}: labels must be token ids or -100.`, { field: 'labels' });
    }
  }
  return batch.inputIds;
}

/** HF shift: targets[b, t] = labels[b, t + 1], -100 at the end of each row. */
function shiftLabels(batch: TokenBatch): BigInt64Array {
  const out = new BigInt64Array(batch.labels.length).fill(IGNORE);
  for (let b = 0; b < batch.batchSize; b++) {
    const base = b * batch.seqLen;
    out.set(batch.labels.subarray(base + 1, base + batch.seqLen), base);
  }
  return out;
}

function countTargets(feeds: Map<string, Feed>): number {
  let n = 0;
  for (const id of feeds.get('targets')!.data as BigInt64Array) if (id !== IGNORE) n++;
  return n;
}

function addParams(
  feeds: Map<string, Feed>,
  shapes: Map<string, number[]>,
  params: FrozenParams,
  role: 'frozen' | 'trainable',
  narrow = new Set<string>(),
): void {
  for (const [name, shape] of shapes) {
    const data = params.get(name);
    if (!data) throw new PersonaError('invalid_argument', `${role} parameters lack "${name}" [${shape}].`, { field: name });
    const size = shape.reduce((a, b) => a * b, 1);
    if (data.length !== size)
      throw new PersonaError('invalid_argument', `${role} parameter "${name}" has ${data.length} values, expected [${shape}] = ${size}.`, { field: name });
    checkFrozenType(name, data, narrow.has(name));
    feeds.set(name, { dtype: data instanceof Uint16Array ? 'float16' : 'float32', dims: shape, data });
  }
}

/** HF-like initialisation: Linear and embedding weights N(0, 0.02²), norm weights 1, biases 0. */
export function initLlamaParams(config: LlamaConfig, seed: number): Params {
  const random = mulberry32(seed);
  const params: Params = new Map();
  for (const [name, shape] of llamaParameterShapes(config)) {
    const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
    params.set(name, shape.length === 1 ? data.fill(name.endsWith('.bias') ? 0 : 1) : fillNormal(data, 0.02, random));
  }
  return params;
}

/** Logits (B·T·V, row-major (B, T, V)) from the same forward graph code as training. */
export async function forwardLogits(config: LlamaConfig, params: Params, inputIds: BigInt64Array, batchSize: number, seqLen: number): Promise<Float32Array> {
  const g = new Graph('float32');
  const model = buildLlama(g, config, { batchSize, seqLen, method: 'full', dropout: false });
  const runner = await GraphRunner.create(emitOnnx(g, [{ name: 'logits', tensor: llamaLogits(model) }]).bytes);
  try {
    const feeds = new Map<string, Feed>();
    feeds.set('input_ids', {
      dtype: 'int64',
      dims: [batchSize, seqLen],
      data: checkBatch({ inputIds, labels: new BigInt64Array(inputIds.length).fill(IGNORE), batchSize, seqLen }, { method: 'full', batchSize, seqLen }, config),
    });
    addParams(feeds, llamaParameterShapes(config), params, 'frozen');
    return (await runner.run(feeds, ['logits'])).get('logits') as Float32Array;
  } finally {
    await runner.release();
  }
}
