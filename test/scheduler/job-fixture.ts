/**
 * A project folder for job tests: a persona file whose base is a tiny random Llama, a SQLite
 * store holding approved samples, and the store, registry and engine as src/app/core.ts wires them.
 * Also run as a child process (see job-child.ts) for the lock and SIGKILL tests.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { loadConfig, type Config } from '../../src/config/config.ts';
import { addDrafts } from '../../src/curation/index.ts';
import { dedupeKey } from '../../src/ingest/index.ts';
import type { SampleDraft } from '../../src/ingest/types.ts';
import { openCore } from '../../src/app/core.ts';
import type { Store } from '../../src/store/index.ts';
import { TINY_TEXTS, writeTinyModelFolder } from '../fixtures/tiny-model-folder.ts';

export const PERSONA = 'tiny';

export function makeProject(minNewSamples = 4): string {
  const root = mkdtempSync(join(tmpdir(), 'job-'));
  const base = writeTinyModelFolder({ flavour: 'base' });
  mkdirSync(join(root, 'personas'));
  writeFileSync(
    join(root, 'personas', `${PERSONA}.yaml`),
    stringify({
      id: PERSONA,
      name: 'FDR',
      base: base.dir,
      voices: { names: ['FDR'] },
      training: {
        method: 'full',
        epochs: 4,
        batch_size: 2,
        seq_len: 48,
        learning_rate: 0.01,
        eval_every: 4,
        min_new_samples: minNewSamples,
        min_improvement: 0.01,
        min_validation_tokens: 0,
      },
      dataset: { validation_fraction: 0.3 },
    }),
  );
  return root;
}

export function projectConfig(root: string): Config {
  return loadConfig({ root, env: { ORT_THREADS: '1', LOG_LEVEL: 'silent' } });
}

/** The store, registry and engine exactly as production wires them (openCore: the engine serves the champion). */
export async function openProject(root: string) {
  const config = projectConfig(root);
  const core = await openCore(config);
  const { store, engine, registry } = core;
  return { config, core, store, engine, registry, deps: { config, store, registry } };
}

/** Approves `count` samples made from the tiny texts (distinct ids and texts). */
export async function approveSamples(store: Store, count: number, offset = 0, persona = PERSONA): Promise<void> {
  const drafts: SampleDraft[] = Array.from({ length: count }, (_, i) => {
    const n = offset + i;
    const text = `${TINY_TEXTS[n % TINY_TEXTS.length]} (${n})`;
    return {
      // The default persona keeps its historical ids (the validation split is fixed by id).
      id: persona === PERSONA ? `sample-${n}` : `${persona}-sample-${n}`,
      persona,
      kind: n % 2 ? 'conversation' : 'monologue',
      context: n % 2 ? [{ speaker: 'Alice', text: TINY_TEXTS[(n + 1) % TINY_TEXTS.length] }] : [],
      text,
      speaker: 'FDR',
      source: { type: 'file', ref: 'transcripts/tiny.txt', position: String(n) },
      dedupeKey: dedupeKey(text),
      redactions: {},
    };
  });
  await addDrafts(store, drafts, { trusted: true });
}
