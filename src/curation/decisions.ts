/**
 * Curation decisions: approve, reject, edit, mark exemplary — from the CLI, Slack, the
 * studio or Discord — and taking one back. A decision carrying a delivery id that the
 * sample's history already holds changes nothing, so a replayed event applies once. The
 * read-change-write of a sample runs under a store lock, so two processes (or two Slack
 * deliveries) deciding at once never lose a decision.
 */
import { PersonaError } from '../errors.js';
import type { Store, WriteBatch } from '../store/index.js';
import { withLock } from '../store/store-mutex.js';
import { exemplarySet, sampleKey, sampleLock, stateSet } from './keys.js';
import { foldDecisions } from './review-state.js';
import { requireSample } from './sample-store.js';
import type { Decision, DecisionAction, DecisionOrigin, SampleRecord } from './types.js';

export interface DecisionInput {
  sampleId: string;
  action: DecisionAction;
  by: string;
  via: DecisionOrigin;
  where?: string;
  eventId?: string;
  /** The corrected text, required for `edit`. */
  text?: string;
  at?: number;
}

export interface RevertInput {
  sampleId: string;
  /** The decision taken back: the latest one with this action (by this user, when given). */
  action: DecisionAction;
  by?: string;
  eventId?: string;
  at?: number;
}

export type DecisionOutcome = { applied: true; sample: SampleRecord } | { applied: false; reason: 'duplicate' | 'nothing_to_revert'; sample: SampleRecord };

function seen(sample: SampleRecord, eventId: string | undefined): boolean {
  return eventId !== undefined && sample.history.some((d) => d.eventId === eventId || d.reverted?.eventId === eventId);
}

function latestMatching(history: Decision[], input: RevertInput): number {
  for (let i = history.length - 1; i >= 0; i--) {
    const d = history[i];
    if (!d.reverted && d.action === input.action && (input.by === undefined || d.by === input.by)) return i;
  }
  return -1;
}

/**
 * The record with this history (its review view recomputed), and the writes that store it with
 * its index sets, appended to `batch` (many samples can share one batch: bulk decisions).
 */
export function withHistory(before: SampleRecord, history: Decision[], at: number, batch: Required<Pick<WriteBatch, 'set' | 'add' | 'remove'>>): SampleRecord {
  const view = foldDecisions(before.initialState, history);
  const after: SampleRecord = {
    ...before,
    editedText: undefined,
    decidedBy: undefined,
    decidedVia: undefined,
    decidedAt: undefined,
    ...view,
    history,
    updatedAt: at,
  };
  batch.set.push({ key: sampleKey(after.id), value: after });
  if (after.state !== before.state) {
    batch.remove.push({ set: stateSet(after.persona, before.state), member: after.id });
    batch.add.push({ set: stateSet(after.persona, after.state), member: after.id });
  }
  if (after.exemplary !== before.exemplary) (after.exemplary ? batch.add : batch.remove).push({ set: exemplarySet(after.persona), member: after.id });
  return after;
}

/** Recomputes the review view and writes the record with its index sets in one batch. */
async function save(store: Store, before: SampleRecord, history: Decision[], at: number): Promise<SampleRecord> {
  const batch = { set: [], add: [], remove: [] };
  const after = withHistory(before, history, at, batch);
  await store.write(batch);
  return after;
}

export async function decide(store: Store, input: DecisionInput): Promise<DecisionOutcome> {
  if (input.action === 'edit' && !input.text?.trim()) {
    throw new PersonaError('invalid_argument', 'An edit needs the corrected text.', { sampleId: input.sampleId });
  }
  return withLock(store, sampleLock(input.sampleId), async () => {
    const sample = await requireSample(store, input.sampleId);
    if (seen(sample, input.eventId)) return { applied: false, reason: 'duplicate', sample };
    const at = input.at ?? Date.now();
    const decision: Decision = { action: input.action, by: input.by, via: input.via, at };
    if (input.where) decision.where = input.where;
    if (input.eventId) decision.eventId = input.eventId;
    if (input.action === 'edit') decision.text = input.text!.trim();
    return { applied: true, sample: await save(store, sample, [...sample.history, decision], at) };
  });
}

/** Takes back a decision (e.g. its Slack reaction was removed); the state is recomputed without it. */
export async function revertDecision(store: Store, input: RevertInput): Promise<DecisionOutcome> {
  return withLock(store, sampleLock(input.sampleId), async () => {
    const sample = await requireSample(store, input.sampleId);
    if (seen(sample, input.eventId)) return { applied: false, reason: 'duplicate', sample };
    const index = latestMatching(sample.history, input);
    if (index < 0) return { applied: false, reason: 'nothing_to_revert', sample };
    const at = input.at ?? Date.now();
    const history = sample.history.map((d, i) =>
      i === index ? { ...d, reverted: { at, by: input.by ?? d.by, ...(input.eventId ? { eventId: input.eventId } : {}) } } : d,
    );
    return { applied: true, sample: await save(store, sample, history, at) };
  });
}
