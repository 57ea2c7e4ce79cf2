/** What a dataset snapshot hands to the trainer and to exporters. */
import type { ContextTurn, SampleKind, SourceType } from '../ingest/types.js';

export type Split = 'train' | 'validation';

export interface TrainingSample {
  id: string;
  kind: SampleKind;
  /** Earlier turns, oldest first (empty for monologue passages). */
  context: ContextTurn[];
  /** The persona's words: a curator's edit when there is one, else the original. */
  text: string;
  /** The name the persona speaks under in this sample. */
  speaker: string;
  /** 1, or EXEMPLARY_WEIGHT for samples a curator marked exemplary. */
  weight: number;
  sourceType: SourceType;
}

export interface DatasetSnapshot {
  persona: string;
  /** Content hash of every sample (id, text, context, weight) and its split: same data, same version. */
  version: string;
  /** Approved samples before long passages were cut into windows (what `min_new_samples` counts). */
  approvedSamples?: number;
  train: TrainingSample[];
  validation: TrainingSample[];
}

/** How much more an exemplary sample counts in training than an ordinary one. */
export const EXEMPLARY_WEIGHT = 2;
