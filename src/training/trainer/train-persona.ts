/**
 * `trainPersona`: everything one training run does, for the CLI and the scheduler alike.
 * Load the base folder (config, tokenizer, weights) → render, tokenize and pack the
 * dataset snapshot → build the step model → run the loop (resuming a matching checkpoint)
 * → write the new version folder atomically → drop the checkpoint. A run that diverges or
 * is interrupted writes no version, so the previous ones stay exactly as they were.
 */
import { createHash } from 'node:crypto';
import { existsSync, rmSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import type { Config } from '../../config/config.js';
import { PersonaError } from '../../errors.js';
import { resolveBaseDir } from '../../hub/base-location.js';
import { logger } from '../../log.js';
import { llamaParameterShapes, readLlamaConfig, type LlamaConfig } from '../../modelfmt/hf-config.js';
import { loadModelFolderMetadata } from '../../modelfmt/model-folder.js';
import { personaModelsDir, personaCheckpointsDir } from '../../modelfmt/model-paths.js';
import type { Persona } from '../../personas/schema.js';
import { narrowedNames, type FrozenParams } from '../frozen-weights.js';
import { checkMemoryFits, machineMemory, planForMachine, type MemoryPlan } from '../memory-plan.js';
import { createStepModel, initLoraParams, type StepModel } from '../step-model.js';
import { readLlamaWeights } from '../../modelfmt/folder-weights.js';
import { readCheckpointFingerprint, removeCheckpoint } from './checkpoint.js';
import { runTrainingLoop, type LoopResult, type TrainingEvent } from './loop.js';
import { mergeLora } from './lora-merge.js';
import type { Params } from './optimizers.js';
import { countTargets, packSamples } from './packing.js';
import { tokenizeSample } from './render.js';
import type { TrainingData } from '../../datasets/types.js';
import { metricsLog } from './reporters.js';
import { resolveTraining, type ResolvedTraining, type TrainingOverrides } from './settings.js';
import { writeVersionFolder } from './version-folder.js';
import type { OnnxWriteOptions } from '../../modelfmt/onnx/onnx-model-file.js';
import { systemPromptOf } from '../../personas/greeting.js';

export interface TrainPersonaOptions {
  config: Config;
  persona: Persona;
  dataset: TrainingData;
  overrides?: TrainingOverrides;
  /** Version folder name; default a UTC timestamp such as 20261127-101906. */
  version?: string;
  signal?: AbortSignal;
  onEvent?: (event: TrainingEvent) => void;
  /** Checkpoint every N steps (default TRAINING_CHECKPOINT_STEPS; besides every TRAINING_CHECKPOINT_SECONDS and on interruption). */
  checkpointEverySteps?: number;
  /** How the version's onnx/model.onnx is written (tests force the external data file of large models). */
  onnx?: OnnxWriteOptions;
}

export interface TrainReport {
  persona: string;
  version: string;
  dir: string;
  onnx: string | null;
  method: ResolvedTraining['method'];
  base: string;
  datasetVersion: string;
  hyperparameters: ResolvedTraining['hyper'];
  lora: ResolvedTraining['lora'] | null;
  data: { trainSamples: number; validationSamples: number; trainRows: number; validationRows: number; trainTargetTokens: number };
  metrics: Omit<LoopResult, 'params'> & { tokensPerSecond: number };
  startedAt: string;
  finishedAt: string;
}

export function baseModelDir(config: Config, persona: Persona): string {
  return resolveBaseDir(config, persona.base);
}

/**
 * The memory plan of a persona's next training run, from its files alone (config.json of its
 * base and the resolved settings), for `persona train` to print and check before a job starts.
 */
export function personaMemoryPlan(config: Config, persona: Persona, overrides: TrainingOverrides = {}): { plan: MemoryPlan; check(): void } {
  return runMemoryPlan(readLlamaConfig(baseModelDir(config, persona)), resolveTraining(persona, overrides), overrides.checkpoint);
}

function runMemoryPlan(modelConfig: LlamaConfig, { method, hyper, lora }: ResolvedTraining, checkpoint?: boolean): { plan: MemoryPlan; check(): void } {
  const run = { config: modelConfig, method, lora, batchSize: hyper.batchSize, seqLen: hyper.seqLen };
  const plan = planForMachine(run, machineMemory(), checkpoint);
  return { plan, check: () => checkMemoryFits(plan, machineMemory(), { method, batchSize: hyper.batchSize, seqLen: hyper.seqLen }) };
}

export function trainingPaths(config: Config, personaId: string) {
  const dir = personaCheckpointsDir(config.DATA_DIR, personaId);
  return { checkpoint: join(dir, 'checkpoint.json'), metrics: join(dir, 'metrics.jsonl'), models: personaModelsDir(config.DATA_DIR, personaId) };
}

export async function trainPersona(options: TrainPersonaOptions): Promise<TrainReport> {
  const { config, persona, dataset } = options;
  const startedAt = new Date().toISOString();
  const settings = resolveTraining(persona, options.overrides);
  const { hyper, method } = settings;
  const baseDir = baseModelDir(config, persona);
  const { config: modelConfig, tokenizer, tokenizerConfig } = loadModelFolderMetadata(baseDir);
  if (hyper.seqLen > modelConfig.max_position_embeddings) {
    throw new PersonaError(
      'invalid_argument',
      `--seq-len ${hyper.seqLen} exceeds the base model's max_position_embeddings (${modelConfig.max_position_embeddings}, ${join(baseDir, 'config.json')}).`,
      {
        field: 'seq_len',
      },
    );
  }
  if (dataset.train.length === 0) {
    throw new PersonaError(
      'dataset_empty',
      `Persona "${persona.id}" has no approved training samples in dataset ${dataset.version}; ingest or approve some first.`,
      { persona: persona.id },
    );
  }

  const render = { tokenizer, tokenizerConfig, systemPrompt: systemPromptOf(persona), personaName: persona.name, file: join(baseDir, 'tokenizer_config.json') };
  const padId = tokenizer.padTokenId ?? tokenizer.eosTokenId;
  const trainRows = packSamples(
    dataset.train.map((s) => tokenizeSample(s, render)),
    { seqLen: hyper.seqLen, padId, seed: hyper.seed },
  );
  const validationRows = packSamples(
    dataset.validation.map((s) => tokenizeSample(s, render, { score: true })),
    { seqLen: hyper.seqLen, padId, seed: hyper.seed + 1, ignoreWeights: true },
  );

  // Refuse before loading anything when the machine cannot hold the run (persona train prints the same plan first).
  const memory = runMemoryPlan(modelConfig, settings, options.overrides?.checkpoint);
  memory.check();
  const { frozenDtype, checkpoint } = memory.plan;
  // LoRA's frozen matrices are read straight into their planned type, never as a float32 copy of the base.
  const frozen: FrozenParams =
    method === 'lora' ? readLlamaWeights(baseDir, modelConfig, narrowedNames(llamaParameterShapes(modelConfig), frozenDtype)) : new Map();
  const trainable: Params = method === 'full' ? readLlamaWeights(baseDir, modelConfig) : initLoraParams(modelConfig, settings.lora, hyper.seed);
  // ORT_THREADS=0 means one thread per core (the engine's own default is 2, the development machines' count).
  const threads = config.ORT_THREADS > 0 ? config.ORT_THREADS : availableParallelism();
  const model: StepModel = await createStepModel(modelConfig, {
    method,
    lora: settings.lora,
    batchSize: hyper.batchSize,
    seqLen: hyper.seqLen,
    threads,
    seed: hyper.seed,
    frozenDtype,
    checkpoint,
  });

  const paths = trainingPaths(config, persona.id);
  const fingerprint = runFingerprint({
    dataset: dataset.version,
    base: baseStamp(baseDir),
    method,
    hyper,
    lora: method === 'lora' ? settings.lora : null,
    rows: trainRows.length,
  });
  const log = metricsLog(paths.metrics, !checkpointMatches(paths.checkpoint, fingerprint));
  let result: LoopResult;
  try {
    result = await runTrainingLoop({
      model,
      frozen,
      trainable,
      trainRows,
      validationRows,
      padId,
      hyper,
      checkpoint: {
        path: paths.checkpoint,
        fingerprint,
        everySteps: options.checkpointEverySteps ?? (config.TRAINING_CHECKPOINT_STEPS || undefined),
        everySeconds: config.TRAINING_CHECKPOINT_SECONDS,
      },
      signal: options.signal,
      onEvent: (event) => {
        log(event);
        options.onEvent?.(event);
      },
    });
  } finally {
    await model.dispose();
  }

  const weights = method === 'full' ? result.params : mergeLora(modelConfig, frozen, result.params, settings.lora, { consume: true });
  const { params: _shipped, ...metrics } = result;
  const report: TrainReport = {
    persona: persona.id,
    version: options.version ?? nextVersion(paths.models),
    dir: '',
    onnx: null,
    method,
    base: baseDir,
    datasetVersion: dataset.version,
    hyperparameters: hyper,
    lora: method === 'lora' ? settings.lora : null,
    data: {
      trainSamples: dataset.train.length,
      validationSamples: dataset.validation.length,
      trainRows: trainRows.length,
      validationRows: validationRows.length,
      trainTargetTokens: countTargets(trainRows),
    },
    metrics: {
      ...metrics,
      tokensPerSecond: metrics.elapsedSeconds > 0 ? (hyper.batchSize * hyper.seqLen * hyper.gradAccumulation * metrics.steps) / metrics.elapsedSeconds : 0,
    },
    startedAt,
    finishedAt: new Date().toISOString(),
  };
  const written = await writeVersionFolder({
    personaModelsDir: paths.models,
    version: report.version,
    baseDir,
    config: modelConfig,
    weights,
    adapter: method === 'lora' ? { params: result.params, shapes: model.trainableShapes, settings: settings.lora } : undefined,
    training: { ...report, dir: undefined, onnx: undefined },
    extraFiles: existsSync(paths.metrics) ? { 'metrics.jsonl': paths.metrics } : {},
    onnx: options.onnx,
  });
  removeCheckpoint(paths.checkpoint);
  rmSync(paths.metrics, { force: true });
  logger('trainer').info(
    { persona: persona.id, version: report.version, steps: result.steps, bestValidationLoss: result.bestValidationLoss },
    'training finished',
  );
  return { ...report, dir: written.dir, onnx: written.onnx };
}

/** Same dataset, base, method and hyperparameters → same fingerprint → the checkpoint resumes. */
function runFingerprint(parts: Record<string, unknown>): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 16);
}

/** The base folder's path plus size and mtime of its weight files: a replaced base starts a fresh run. */
function baseStamp(baseDir: string): string[] {
  return ['config.json', 'model.safetensors', 'model.safetensors.index.json']
    .filter((name) => existsSync(join(baseDir, name)))
    .map((name) => {
      const stat = statSync(join(baseDir, name));
      return `${join(baseDir, name)}:${stat.size}:${stat.mtimeMs}`;
    });
}

function checkpointMatches(path: string, fingerprint: string): boolean {
  return existsSync(path) && readCheckpointFingerprint(path) === fingerprint;
}

/** UTC timestamp version ids sort in training order; a clash within one second gets a suffix. */
export function nextVersion(modelsDir: string, now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  let version = stamp;
  for (let n = 2; existsSync(join(modelsDir, version)); n++) version = `${stamp}-${n}`;
  return version;
}
