/**
 * `persona dataset stats`: what a persona's dataset holds, by state, source and kind, and how
 * much of the persona's own text each split holds (words; tokens when a tokenizer is given:
 * the validation tokens are what every held-out perplexity and the promotion gate rest on).
 */
import type { Persona } from '../personas/schema.js';
import type { Store } from '../store/index.js';
import { countSamples, effectiveText, listSamples, SAMPLE_STATES, type SampleRecord } from '../curation/index.js';
import { loadDatasetSnapshot } from './snapshot.js';
import type { TrainingSample } from './types.js';

export interface LengthStats {
  min: number;
  median: number;
  mean: number;
  max: number;
}

export interface DatasetStats {
  persona: string;
  /** The version a training run would see now. */
  version: string;
  states: Record<string, number>;
  /** Approved samples, by source type and kind. */
  sources: Record<string, number>;
  kinds: Record<string, number>;
  edited: number;
  /** Samples per split (long passages count once per window). */
  train: number;
  validation: number;
  /** The persona's words per split (what is learned from and what is held out). */
  words: { train: number; validation: number };
  /** The persona's tokens per split, by the base model's tokenizer (absent when none was given). */
  tokens?: { train: number; validation: number };
  /** Characters of the approved texts (edited text where there is one). */
  length: LengthStats;
  /** Redactions applied to every stored sample, by kind. */
  redactions: Record<string, number>;
}

function lengths(texts: string[]): LengthStats {
  if (texts.length === 0) return { min: 0, median: 0, mean: 0, max: 0 };
  const sorted = texts.map((t) => t.length).sort((a, b) => a - b);
  const mean = sorted.reduce((a, b) => a + b, 0) / sorted.length;
  return { min: sorted[0], median: sorted[Math.floor(sorted.length / 2)], mean: Math.round(mean), max: sorted[sorted.length - 1] };
}

function tally(records: SampleRecord[], key: (r: SampleRecord) => string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of records) out[key(r)] = (out[key(r)] ?? 0) + 1;
  return out;
}

export interface StatsOptions {
  /** The base model's tokenizer, to count the persona's tokens per split. */
  tokenizer?: { encode(text: string): number[] };
}

const countWords = (samples: readonly TrainingSample[]): number => samples.reduce((sum, s) => sum + (s.text.match(/\S+/g)?.length ?? 0), 0);

export function splitTokens(samples: readonly TrainingSample[], tokenizer: { encode(text: string): number[] }): number {
  return samples.reduce((sum, s) => sum + tokenizer.encode(s.text).length, 0);
}

export async function datasetStats(store: Store, persona: Persona, options: StatsOptions = {}): Promise<DatasetStats> {
  const [counts, snapshot, ...byState] = await Promise.all([
    countSamples(store, persona.id),
    loadDatasetSnapshot(store, persona),
    ...SAMPLE_STATES.map((state) => listSamples(store, persona.id, state)),
  ]);
  const approved = byState[SAMPLE_STATES.indexOf('approved')];
  const redactions: Record<string, number> = {};
  for (const record of byState.flat()) for (const [kind, n] of Object.entries(record.redactions)) redactions[kind] = (redactions[kind] ?? 0) + n;
  return {
    persona: persona.id,
    version: snapshot.version,
    states: counts,
    sources: tally(approved, (r) => r.source.type),
    kinds: tally(approved, (r) => r.kind),
    edited: approved.filter((r) => r.editedText !== undefined).length,
    train: snapshot.train.length,
    validation: snapshot.validation.length,
    words: { train: countWords(snapshot.train), validation: countWords(snapshot.validation) },
    ...(options.tokenizer
      ? { tokens: { train: splitTokens(snapshot.train, options.tokenizer), validation: splitTokens(snapshot.validation, options.tokenizer) } }
      : {}),
    length: lengths(approved.map(effectiveText)),
    redactions,
  };
}
