/** Shared test persona and paths for the ingest tests. */
import { fileURLToPath } from 'node:url';
import { parsePersona } from '../../src/personas/load.ts';
import type { Persona } from '../../src/personas/schema.ts';

export const FIXTURES = fileURLToPath(new URL('../fixtures/ingest/', import.meta.url));
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Ada Lovelace, the voice in every fixture; `dataset` overrides the defaults. */
export function adaPersona(dataset: Record<string, unknown> = {}): Persona {
  const yaml = JSON.stringify({
    id: 'ada',
    name: 'Ada Lovelace',
    voices: { names: ['Ada Lovelace', 'Ada'], discord_ids: ['111'], slack_ids: ['U0ADA'] },
    dataset,
  });
  return parsePersona(yaml, 'ada.yaml');
}
