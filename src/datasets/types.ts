/** What a dataset snapshot hands to the trainer and to exporters. */
import type { ContextTurn, SampleKind, SourceType } from '../ingest/types.js';

export type Split = 'train' | 'validation';

/**
 * What training and evaluation render of a sample: earlier turns and the persona's words.
 * A held-out file evaluated as is has no id or source, so only these fields are required.
 */
export interface SampleTurns {
  kind?: SampleKind;
  /** Earlier turns, oldest first (empty for monologue passages). */
  context: ContextTurn[];
  /** The persona's words: a curator's edit when there is one, else the original. */
  text: string;
  /** The name the persona speaks under in this sample. */
  speaker: string;
  /** 1 (the default), or EXEMPLARY_WEIGHT for samples a curator marked exemplary. */
  weight?: number;
}

/** A sample of a persona's dataset. */
export interface TrainingSample extends SampleTurns {
  id: string;
  kind: SampleKind;
  weight: number;
  sourceType: SourceType;
}

/** The samples one training run learns from and validates on (a snapshot, or a test's literal). */
export interface TrainingData {
  /** Content hash of every sample (id, text, context, weight) and its split: same data, same version. */
  version: string;
  train: SampleTurns[];
  validation: SampleTurns[];
}

export interface DatasetSnapshot extends TrainingData {
  persona: string;
  /** Approved samples before long passages were cut into windows (what `min_new_samples` counts). */
  approvedSamples?: number;
  train: TrainingSample[];
  validation: TrainingSample[];
}

/** How much more an exemplary sample counts in training than an ordinary one. */
export const EXEMPLARY_WEIGHT = 2;
