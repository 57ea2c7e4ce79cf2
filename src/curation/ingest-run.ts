/**
 * One ingest run: files → ingest (parse, clean, build samples) → the store, one atomic
 * batch per file. Ctrl-C or a crash therefore leaves whole files or nothing, and a re-run
 * skips what is stored (stable ids) and completes the rest.
 */
import type { Persona } from '../personas/schema.js';
import { ingestPaths, type IngestProgress } from '../ingest/index.js';
import type { Store } from '../store/index.js';
import { addDrafts } from './sample-store.js';
import { approveTrustedMatches } from './trusted.js';
import type { Author } from './types.js';

export interface IngestRunOptions {
  /** Project root: relative paths and sample refs are relative to it. */
  root: string;
  speaker?: string;
  trusted?: boolean;
  /** Who runs a trusted ingest (recorded on the samples it approves); default "trusted ingest". */
  by?: string;
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
  /** `--trusted`: samples already stored and pending that this run approved. */
  approvedPending: number;
  /** `--trusted`: matching samples a curator had rejected, left rejected. */
  keptRejected: number;
  skipped: Array<{ file: string; reason: string }>;
  redactions: Record<string, number>;
  /** Candidate samples refused by cleaning, by reason. */
  dropped: Record<string, number>;
  /** Messages skipped for breaking their file's format (a wrong type, no text). */
  invalidMessages: number;
  /** The first of them with file, position and reason (at most MAX_LISTED). */
  invalid: Array<{ file: string; position: string; reason: string }>;
  /** Subtitle lines by how their speaker was decided (labelled, chosen_speaker, previous_label, unknown). */
  attribution: Record<string, number>;
  formats: Record<string, number>;
  /** `speaker` given but nobody of that name spoke in some files: those files and who did speak there. */
  speakerNotFound: Array<{ file: string; speakers: string[] }>;
  interrupted: boolean;
}

/** How many skipped messages the summary lists one by one (the count covers all). */
const MAX_LISTED = 50;

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
    approvedPending: 0,
    keptRejected: 0,
    skipped: [],
    redactions: {},
    dropped: {},
    invalidMessages: 0,
    invalid: [],
    attribution: {},
    formats: {},
    speakerNotFound: [],
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
      if (options.trusted && added.matched.length > 0) {
        const approval = await approveTrustedMatches(store, added.matched, { by: options.by ?? 'trusted ingest', where: file.file });
        summary.approvedPending += approval.approved;
        summary.keptRejected += approval.keptRejected;
      }
      addCounts(summary.redactions, file.redactions);
      addCounts(summary.dropped, file.dropped);
      if (file.attribution) addCounts(summary.attribution, file.attribution);
      summary.invalidMessages += file.invalid.length;
      for (const item of file.invalid.slice(0, Math.max(0, MAX_LISTED - summary.invalid.length))) summary.invalid.push({ file: file.file, ...item });
      if (file.format) addCounts(summary.formats, { [file.format]: 1 });
      if (file.otherSpeakers) summary.speakerNotFound.push({ file: file.file, speakers: file.otherSpeakers.slice(0, 10) });
    }
    if (options.signal?.aborted) {
      summary.interrupted = true;
      break;
    }
  }
  return summary;
}
