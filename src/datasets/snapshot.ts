/**
 * A dataset snapshot: a persona's approved samples, edited text winning over the original,
 * long monologue passages cut into windows (windows.ts), sorted by id, split by id hash,
 * versioned by a content hash. The trainer calls
 * `loadDatasetSnapshot`; `persona dataset export|stats` read the same snapshot.
 */
import { createHash } from 'node:crypto';
import type { Persona } from '../personas/schema.js';
import type { Store } from '../store/index.js';
import { effectiveText, listSamples, type SampleRecord } from '../curation/index.js';
import { splitOf } from './holdout-split.js';
import { windowSample } from './windows.js';
import { EXEMPLARY_WEIGHT, type DatasetSnapshot, type TrainingSample } from './types.js';

export function toTrainingSample(sample: SampleRecord): TrainingSample {
  return {
    id: sample.id,
    kind: sample.kind,
    context: sample.context,
    text: effectiveText(sample),
    speaker: sample.speaker,
    weight: sample.exemplary ? EXEMPLARY_WEIGHT : 1,
    sourceType: sample.source.type,
  };
}

/** Hash of what training sees, in id order; bookkeeping (who decided, when) does not change it. */
export function datasetVersion(samples: TrainingSample[], validationFraction: number): string {
  const hash = createHash('sha256').update(`fraction ${validationFraction}\n`);
  for (const s of samples) hash.update(JSON.stringify([s.id, s.kind, s.context, s.speaker, s.text, s.weight])).update('\n');
  return hash.digest('hex').slice(0, 16);
}

export async function loadDatasetSnapshot(store: Store, persona: Persona): Promise<DatasetSnapshot> {
  const fraction = persona.dataset.validation_fraction;
  const records = await listSamples(store, persona.id, 'approved');
  const samples = records.flatMap((record) => windowSample(toTrainingSample(record))).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const snapshot: DatasetSnapshot = {
    persona: persona.id,
    version: datasetVersion(samples, fraction),
    approvedSamples: records.length,
    train: [],
    validation: [],
  };
  for (const sample of samples) snapshot[splitOf(sample.id, fraction)].push(sample);
  return snapshot;
}
