/**
 * Curating many candidates at once, and undo. Every pending candidate matching a filter
 * (file, source, speaker, length, text) is approved or rejected in ONE store write: a
 * 22,000-candidate upload is one transaction, not 22,000 locked read-change-writes. Each
 * sample still gets its own decision in its history (who, via, when; `where` names the bulk
 * run), so counts, exports, Slack and undo treat them like any other decision. A sample
 * decided elsewhere between the read and the write takes this run's decision on top.
 *
 * Undo takes back the newest decision made through one origin (the studio, the CLI), or a
 * whole bulk run when that was the newest: the state is recomputed without it (review.ts).
 */
import type { SourceType } from '../ingest/types.js';
import type { Store } from '../store/index.js';
import { withHistory } from './decisions.js';
import { effectiveText } from './review-state.js';
import { listSamples } from './sample-store.js';
import type { Decision, DecisionOrigin, SampleRecord, SampleState } from './types.js';

export interface SampleFilter {
  /** Default pending. */
  state?: SampleState;
  /** Part of the source file (or channel) reference, any case. */
  file?: string;
  source?: SourceType;
  /** The speaker's name, any case. */
  speaker?: string;
  /** Length of the text in characters. */
  minLength?: number;
  maxLength?: number;
  /** Words the text contains, any case. */
  text?: string;
}

export type BulkAction = 'approve' | 'reject';

const has = (haystack: string, needle: string) => haystack.toLowerCase().includes(needle.toLowerCase());

export function matchesFilter(sample: SampleRecord, filter: SampleFilter): boolean {
  const text = effectiveText(sample);
  return (
    (filter.file === undefined || has(sample.source.ref, filter.file)) &&
    (filter.source === undefined || sample.source.type === filter.source) &&
    (filter.speaker === undefined || sample.speaker.toLowerCase() === filter.speaker.toLowerCase()) &&
    (filter.minLength === undefined || text.length >= filter.minLength) &&
    (filter.maxLength === undefined || text.length <= filter.maxLength) &&
    (filter.text === undefined || has(text, filter.text))
  );
}

/** Oldest first, like the review queue. */
export async function matchingSamples(store: Store, persona: string, filter: SampleFilter): Promise<SampleRecord[]> {
  return (await listSamples(store, persona, filter.state ?? 'pending')).filter((sample) => matchesFilter(sample, filter));
}

export interface BulkOutcome {
  changed: number;
  /** Names the run in each decision's `where`; undo takes the run back whole. */
  run: string;
}

export async function decideMatching(
  store: Store,
  persona: string,
  filter: SampleFilter,
  decision: { action: BulkAction; by: string; via: DecisionOrigin },
): Promise<BulkOutcome> {
  const samples = await matchingSamples(store, persona, filter);
  const at = Date.now();
  const run = `bulk:${at}`;
  const batch = { set: [], add: [], remove: [] };
  for (const sample of samples) {
    const entry: Decision = { ...decision, at, where: run, eventId: `${run}:${sample.id}` };
    withHistory(sample, [...sample.history, entry], at, batch);
  }
  if (samples.length > 0) await store.write(batch);
  return { changed: samples.length, run };
}

export interface UndoOutcome {
  action: Decision['action'];
  samples: SampleRecord[];
}

/** Takes back the newest live decision made via `via` (by `by`, when given); null when there is none. */
export async function undoLastDecision(store: Store, persona: string, via: DecisionOrigin, by?: string): Promise<UndoOutcome | null> {
  const decided = [...(await listSamples(store, persona, 'approved')), ...(await listSamples(store, persona, 'rejected'))];
  const mine = (d: Decision) => !d.reverted && d.via === via && (by === undefined || d.by === by);
  let newest: Decision | undefined;
  for (const sample of decided) for (const d of sample.history) if (mine(d) && (!newest || d.at > newest.at)) newest = d;
  if (!newest) return null;
  const target = newest;
  const inRun = (d: Decision) => mine(d) && (target.where?.startsWith('bulk:') ? d.where === target.where : d === target);
  const at = Date.now();
  const batch = { set: [], add: [], remove: [] };
  const samples: SampleRecord[] = [];
  for (const sample of decided) {
    if (!sample.history.some(inRun)) continue;
    const history = sample.history.map((d) => (inRun(d) ? { ...d, reverted: { at, by: by ?? d.by } } : d));
    samples.push(withHistory(sample, history, at, batch));
  }
  await store.write(batch);
  return { action: target.action, samples };
}
