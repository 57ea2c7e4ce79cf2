/**
 * One ingest run: files → ingest (parse, clean, build samples) → the store, one atomic
 * batch per file. Ctrl-C or a crash therefore leaves whole files or nothing, and a re-run
 * skips what is stored (stable ids) and completes the rest.
 */
import type { Persona } from '../personas/schema.js';
import { ingestPaths, type IngestProgress } from '../ingest/index.js';
import type { Store } from '../store/index.js';
import { addDrafts } from './samples.js';
import type { Author } from './types.js';

export interface IngestRunOptions {
  /** Project root: relative paths and sample refs are relative to it. */
  root: string;
  speaker?: string;
  trusted?: boolean;
  author?: Author;
  maxBytes?: number;
  onFile?: (progress: IngestProgress) => void;
  /** Stops before the next file; what is stored stays stored. */
  signal?: AbortSignal;
}

export interface IngestSummary {
  persona: string;
  files: number;
  messages: number;
  /** Samples stored by this run. */
  added: number;
  /** Samples already in the store from an earlier run (same source and position). */
  existing: number;
  /** Near-duplicates removed, within this run and against the store. */
  duplicates: number;
  optedOut: number;
  skipped: Array<{ file: string; reason: string }>;
  redactions: Record<string, number>;
  /** Candidate samples refused by cleaning, by reason. */
  dropped: Record<string, number>;
  formats: Record<string, number>;
  interrupted: boolean;
}

function addCounts(into: Record<string, number>, from: Record<string, number>): void {
  for (const [key, n] of Object.entries(from)) into[key] = (into[key] ?? 0) + n;
}

export async function runIngest(store: Store, persona: Persona, paths: string[], options: IngestRunOptions): Promise<IngestSummary> {
  const summary: IngestSummary = {
    persona: persona.id,
    files: 0,
    messages: 0,
    added: 0,
    existing: 0,
    duplicates: 0,
    optedOut: 0,
    skipped: [],
    redactions: {},
    dropped: {},
    formats: {},
    interrupted: false,
  };
  const files = ingestPaths(persona, paths, { root: options.root, speaker: options.speaker, maxBytes: options.maxBytes, onFile: options.onFile });
  for await (const file of files) {
    summary.files++;
    if (file.skipped !== undefined) {
      summary.skipped.push({ file: file.file, reason: file.skipped });
    } else {
      const drafts = options.author ? file.drafts.map((d) => ({ ...d, author: options.author })) : file.drafts;
      const added = await addDrafts(store, drafts, { trusted: options.trusted });
      summary.messages += file.messages;
      summary.added += added.added.length;
      summary.existing += added.existing;
      summary.duplicates += file.duplicates + added.duplicates;
      summary.optedOut += added.optedOut;
      addCounts(summary.redactions, file.redactions);
      addCounts(summary.dropped, file.dropped);
      if (file.format) addCounts(summary.formats, { [file.format]: 1 });
    }
    if (options.signal?.aborted) {
      summary.interrupted = true;
      break;
    }
  }
  return summary;
}
