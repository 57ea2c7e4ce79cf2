/**
 * Adding drafts to the store and reading samples back. Adding is idempotent: a draft whose
 * stable id is already stored adds nothing; one whose dedupe key belongs to another stored
 * sample of the persona is a near-duplicate and is counted, not stored. Each call writes
 * everything (records, dedupe keys, index sets) in one atomic batch, so an interrupted
 * ingest leaves whole files or nothing and a re-run completes it. The store repeats the
 * "not stored yet" check inside that write (one SQLite transaction, one Redis script): two
 * ingests of the same file at once (a CLI ingest and a studio upload) would otherwise both
 * find a sample new and file it under two states.
 */
import { PersonaError } from '../errors.js';
import type { ConditionalWrite, Store } from '../store/index.js';
import { authorSet, dedupeRecordKey, exemplarySet, optOutKey, sampleKey, stateSet } from './keys.js';
import { SAMPLE_STATES, type CandidateDraft, type SampleRecord, type SampleState } from './types.js';

export interface AddResult {
  /** Ids of the samples stored by this call. */
  added: string[];
  /** Drafts already stored (same stable id): the same material ingested again. */
  existing: number;
  /** Drafts whose text (normalised) is already stored for the persona under another id. */
  duplicates: number;
  /** Drafts written by users who opted out of capture. */
  optedOut: number;
  /** Stored samples that drafts matched (same id, or same text under another id), for `--trusted`. */
  matched: string[];
}

export interface AddOptions {
  /** Trusted sources (the persona's own transcripts) are approved on arrival; the rest wait for review. */
  trusted?: boolean;
  now?: number;
}

/** getMany in slices, so a 100,000-sample snapshot does not build one giant request. */
export async function getManyChunked<T>(store: Store, keys: string[], chunk = 5000): Promise<Array<T | undefined>> {
  const out: Array<T | undefined> = [];
  for (let start = 0; start < keys.length; start += chunk) out.push(...(await store.getMany<T>(keys.slice(start, start + chunk))));
  return out;
}

/** Adds drafts; the existence checks are repeated inside the store's atomic write. */
export async function addDrafts(store: Store, drafts: CandidateDraft[], options: AddOptions = {}): Promise<AddResult> {
  const result: AddResult = { added: [], existing: 0, duplicates: 0, optedOut: 0, matched: [] };
  if (drafts.length === 0) return result;
  const now = options.now ?? Date.now();
  const initialState: SampleState = options.trusted ? 'approved' : 'pending';

  const authors = [...new Set(drafts.filter((d) => d.author).map((d) => optOutKey(d.author!.platform, d.author!.id)))];
  // Existence only for samples (a re-ingest must not parse every stored record), values for dedupe owners and opt-outs.
  const stored = await store.hasMany(drafts.map((d) => sampleKey(d.id)));
  const lookups = await getManyChunked<unknown>(store, [...drafts.map((d) => dedupeRecordKey(d.persona, d.dedupeKey)), ...authors]);
  const optedOut = new Set(authors.filter((_, i) => lookups[drafts.length + i] !== undefined));

  const inserts: ConditionalWrite[] = [];
  const insertedIds: string[] = [];
  const seenIds = new Set<string>();
  const seenKeys = new Set<string>();
  for (const [i, draft] of drafts.entries()) {
    const dedupe = dedupeRecordKey(draft.persona, draft.dedupeKey);
    if (stored[i] || seenIds.has(draft.id)) {
      result.existing++;
      if (stored[i]) result.matched.push(draft.id);
      continue;
    }
    const owner = lookups[i];
    if ((owner !== undefined && owner !== draft.id) || seenKeys.has(dedupe)) {
      result.duplicates++;
      if (typeof owner === 'string' && owner !== draft.id) result.matched.push(owner);
      continue;
    }
    if (draft.author && optedOut.has(optOutKey(draft.author.platform, draft.author.id))) {
      result.optedOut++;
      continue;
    }
    seenIds.add(draft.id);
    seenKeys.add(dedupe);
    const record: SampleRecord = {
      ...draft,
      state: initialState,
      initialState,
      exemplary: false,
      ...(options.trusted ? { decidedBy: 'trusted source', decidedVia: 'ingest' as const, decidedAt: now } : {}),
      createdAt: now,
      updatedAt: now,
      history: [],
    };
    const add = [{ set: stateSet(draft.persona, initialState), member: draft.id }];
    if (draft.author) add.push({ set: authorSet(draft.author.platform, draft.author.id), member: draft.id });
    // Another ingest may store the same sample or text between the reads above and this write.
    inserts.push({
      unlessExists: [sampleKey(draft.id), dedupe],
      set: [
        { key: sampleKey(draft.id), value: record },
        { key: dedupe, value: draft.id },
      ],
      add,
    });
    insertedIds.push(draft.id);
  }
  const applied = await store.writeEachIfAbsent(inserts);
  applied.forEach((done, k) => {
    if (done) result.added.push(insertedIds[k]);
    else {
      result.existing++; // stored meanwhile by a concurrent ingest
      result.matched.push(insertedIds[k]);
    }
  });
  return result;
}

export function getSample(store: Store, id: string): Promise<SampleRecord | undefined> {
  return store.get<SampleRecord>(sampleKey(id));
}

/** The sample, or a sentence saying it does not exist (for this persona, when given). */
export async function requireSample(store: Store, id: string, persona?: string): Promise<SampleRecord> {
  const sample = await getSample(store, id);
  if (!sample || (persona !== undefined && sample.persona !== persona)) {
    throw new PersonaError('sample_not_found', `No sample "${id}"${persona ? ` for persona "${persona}"` : ''} (see \`persona review list\`).`, {
      id,
      persona,
    });
  }
  return sample;
}

export async function sampleIds(store: Store, persona: string, state: SampleState): Promise<string[]> {
  return store.members(stateSet(persona, state));
}

/** Samples of a persona in a state, oldest first. */
export async function listSamples(store: Store, persona: string, state: SampleState): Promise<SampleRecord[]> {
  const ids = await sampleIds(store, persona, state);
  const records = (await getManyChunked<SampleRecord>(store, ids.map(sampleKey))).filter((r): r is SampleRecord => r !== undefined);
  return records.sort(oldestFirst);
}

const naturally = new Intl.Collator('en', { numeric: true });

/** Arrival order: one ingest stores a file's samples with one time, so ties go by file, then position in it. */
export function oldestFirst(a: SampleRecord, b: SampleRecord): number {
  return (
    a.createdAt - b.createdAt ||
    naturally.compare(a.source.ref, b.source.ref) ||
    naturally.compare(a.source.position, b.source.position) ||
    (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
  );
}

export async function countSamples(store: Store, persona: string): Promise<Record<SampleState | 'exemplary', number>> {
  const [pending, approved, rejected, exemplary] = await Promise.all([
    ...SAMPLE_STATES.map((s) => store.size(stateSet(persona, s))),
    store.size(exemplarySet(persona)),
  ]);
  return { pending, approved, rejected, exemplary };
}

/** A full sample id from an unambiguous prefix of it (the CLI shows short ids). */
export async function resolveSampleId(store: Store, persona: string, prefix: string): Promise<string> {
  const candidates = (await Promise.all(SAMPLE_STATES.map((state) => sampleIds(store, persona, state)))).flat().filter((id) => id.startsWith(prefix));
  if (candidates.length === 1) return candidates[0];
  if (candidates.length === 0) {
    throw new PersonaError(
      'sample_not_found',
      `Persona "${persona}" has no sample whose id starts with "${prefix}" (see \`persona review list ${persona}\`).`,
      { persona, prefix },
    );
  }
  throw new PersonaError('invalid_argument', `"${prefix}" matches ${candidates.length} samples of "${persona}"; give more of the id.`, { persona, prefix });
}
