/**
 * What a perplexity is taken over, for `persona eval`, the studio and the benchmarks: the
 * persona's held-out words (the validation split, never training text), or a file given
 * with `--data`, whose text is scored as the persona's words (long passages cut into the
 * same windows as the dataset).
 */
import type { Config } from '../config/config.js';
import { textWindows } from '../datasets/windows.js';
import { loadDatasetSnapshot } from '../datasets/snapshot.js';
import { PersonaError } from '../errors.js';
import { ingestPaths } from '../ingest/index.js';
import { baseModelChoice } from '../inference/model-location.js';
import { loadTokenizer, type Tokenizer } from '../modelfmt/tokenizer.js';
import type { Persona } from '../personas/schema.js';
import type { Store } from '../store/index.js';
import type { SampleTurns } from '../datasets/types.js';
import type { LossReport } from './loss.js';

export async function heldOutSamples(store: Store, persona: Persona): Promise<SampleTurns[]> {
  const snapshot = await loadDatasetSnapshot(store, persona);
  if (snapshot.validation.length === 0) {
    const why =
      snapshot.train.length === 0
        ? 'has no approved samples'
        : `holds nothing out yet (${snapshot.train.length} training samples, validation_fraction ${persona.dataset.validation_fraction})`;
    throw new PersonaError(
      'dataset_empty',
      `Persona "${persona.id}" ${why}; a loss on training text says nothing, so use --data FILE or approve more material.`,
      { persona: persona.id },
    );
  }
  return snapshot.validation;
}

/** Any file ingest can read; every speaker's words count as the persona's here. */
export async function fileSamples(persona: Persona, file: string, root: string): Promise<SampleTurns[]> {
  const samples: SampleTurns[] = [];
  for await (const result of ingestPaths(persona, [file], { root })) {
    if (result.skipped) throw new PersonaError('input_unsupported', `${file}: ${result.skipped}`, { file });
    for (const draft of result.drafts) {
      if (draft.kind !== 'monologue') samples.push({ kind: draft.kind, context: draft.context, text: draft.text, speaker: persona.name });
      else for (const text of textWindows(draft.text)) samples.push({ kind: 'monologue', context: [], text, speaker: persona.name });
    }
  }
  if (samples.length === 0)
    throw new PersonaError('input_malformed', `${file} has no text to evaluate (for a chat file, pass one whose speakers include the persona's voices).`, {
      file,
    });
  return samples;
}

/** The tokenizer of the persona's base model (dataset stats count held-out tokens with it). */
export function baseTokenizer(config: Config, persona: Persona): Tokenizer {
  return loadTokenizer(baseModelChoice(config, persona).dir);
}

/** One line for people: the loss is over the persona's words, and says over how many. */
export function describeLoss(report: LossReport): string {
  return `loss ${report.loss.toFixed(4)}, perplexity ${report.perplexity.toFixed(2)} over ${report.tokens.toLocaleString('en-US')} tokens of the persona's words (${report.samples} samples; turn headers and end-of-turn tokens not scored)`;
}
