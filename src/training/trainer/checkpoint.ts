/**
 * Training checkpoints: trainable params, optimizer state, the best params so far, and the
 * loop state (step, epoch, data order, RNG state, early-stopping counters) in ONE
 * safetensors file, the loop state as JSON in its `__metadata__`. Written to a temp file,
 * fsynced and renamed over the previous checkpoint, so a crash at any moment leaves either
 * the old checkpoint or the new one, never a torn file.
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { PersonaError } from '../../errors.js';
import { encodeSafetensors, readSafetensors, readSafetensorsMetadata, type TensorToWrite } from '../../modelfmt/safetensors.js';
import type { OptimizerName, Params } from './optimizers.js';
import { removeStaleTemps } from './stale-temps.js';

export interface EvalRecord {
  step: number;
  validationLoss: number;
}

/** Everything besides tensors that a resumed run needs to continue exactly. */
export interface LoopState {
  /** Identifies the run (dataset, base, method, hyperparameters); a mismatch starts afresh. */
  fingerprint: string;
  step: number;
  epoch: number;
  /** Next position in `order`. */
  cursor: number;
  /** Row order of the current epoch. */
  order: number[];
  rngState: number;
  optimizer: { name: OptimizerName; step: number };
  firstLoss: number | null;
  lastLoss: number | null;
  bestValidationLoss: number | null;
  bestStep: number;
  evalsWithoutImprovement: number;
  evals: EvalRecord[];
  tokensSeen: number;
  elapsedSeconds: number;
}

export interface Checkpoint {
  state: LoopState;
  params: Params;
  optimizerTensors: Params;
  /** Params at the best validation loss so far (absent without validation data). */
  best: Params | null;
}

const PREFIX = { params: 'params/', optimizer: 'optimizer/', best: 'best/' } as const;

export function writeCheckpoint(path: string, checkpoint: Checkpoint): void {
  const tensors = new Map<string, TensorToWrite>();
  const add = (prefix: string, params: Params | null) => {
    for (const [name, data] of params ?? []) tensors.set(prefix + name, { shape: [data.length], data });
  };
  add(PREFIX.params, checkpoint.params);
  add(PREFIX.optimizer, checkpoint.optimizerTensors);
  add(PREFIX.best, checkpoint.best);
  const bytes = encodeSafetensors(tensors, { dtype: 'F32', metadata: { state: JSON.stringify(checkpoint.state) } });
  mkdirSync(dirname(path), { recursive: true });
  removeStaleTemps(dirname(path), `${basename(path)}.tmp-`);
  const temp = `${path}.tmp-${process.pid}`;
  const fd = openSync(temp, 'w');
  try {
    writeSync(fd, bytes);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temp, path);
}

/** The checkpoint at `path`, or null when there is none. */
export function readCheckpoint(path: string): Checkpoint | null {
  if (!existsSync(path)) return null;
  let state: LoopState;
  try {
    state = JSON.parse(readSafetensorsMetadata(path).state ?? 'null') as LoopState;
  } catch (error) {
    throw new PersonaError('model_corrupt', `${path}: checkpoint state is not valid JSON (${(error as Error).message}); delete it to start afresh.`, { file: path });
  }
  if (!state || typeof state.step !== 'number') {
    throw new PersonaError('model_corrupt', `${path}: not a training checkpoint (no loop state); delete it to start afresh.`, { file: path });
  }
  const params: Params = new Map();
  const optimizerTensors: Params = new Map();
  let best: Params | null = null;
  for (const [key, tensor] of readSafetensors(path)) {
    if (key.startsWith(PREFIX.params)) params.set(key.slice(PREFIX.params.length), tensor.data);
    else if (key.startsWith(PREFIX.optimizer)) optimizerTensors.set(key.slice(PREFIX.optimizer.length), tensor.data);
    else if (key.startsWith(PREFIX.best)) (best ??= new Map()).set(key.slice(PREFIX.best.length), tensor.data);
  }
  return { state, params, optimizerTensors, best };
}

/** The fingerprint of the run that wrote the checkpoint, without reading its tensors. */
export function readCheckpointFingerprint(path: string): string | undefined {
  try {
    return (JSON.parse(readSafetensorsMetadata(path).state ?? '{}') as Partial<LoopState>).fingerprint;
  } catch {
    return undefined;
  }
}

export function removeCheckpoint(path: string): void {
  rmSync(path, { force: true });
}
