/**
 * `--trusted` over material that is already stored: samples still pending review are
 * approved as a decision of the ingest (who ran it, when, from which file), so re-ingesting
 * a persona's own transcripts after an untrusted first pass approves them. Rejected samples
 * are never touched: a curator's "no" outranks the file's trust. Each sample is read,
 * checked and written under its lock, like any other decision.
 */
import type { Store, WriteBatch } from '../store/index.js';
import { withLock } from '../store/store-mutex.js';
import { sampleKey, sampleLock, stateSet } from './keys.js';
import { foldDecisions } from './review-state.js';
import { getManyChunked, getSample } from './sample-store.js';
import type { Decision, SampleRecord } from './types.js';

export interface TrustedApproval {
  /** Pending samples this call approved. */
  approved: number;
  /** Matching samples a curator rejected, left as they are. */
  keptRejected: number;
}

export interface TrustedBy {
  by: string;
  /** The file the matching material came from. */
  where?: string;
  at?: number;
}

async function approveOne(store: Store, id: string, who: TrustedBy, at: number): Promise<'approved' | 'rejected' | 'other'> {
  return withLock(store, sampleLock(id), async () => {
    const sample = await getSample(store, id);
    if (!sample || sample.state !== 'pending') return sample?.state === 'rejected' ? 'rejected' : 'other';
    const decision: Decision = { action: 'approve', by: who.by, via: 'ingest', at, ...(who.where ? { where: who.where } : {}) };
    const history = [...sample.history, decision];
    const after: SampleRecord = { ...sample, ...foldDecisions(sample.initialState, history), history, updatedAt: at };
    const batch: WriteBatch = {
      set: [{ key: sampleKey(id), value: after }],
      remove: [{ set: stateSet(sample.persona, 'pending'), member: id }],
      add: [{ set: stateSet(sample.persona, after.state), member: id }],
    };
    await store.write(batch);
    return 'approved';
  });
}

/** Approves the pending samples among `ids` (stored samples a trusted ingest matched). */
export async function approveTrustedMatches(store: Store, ids: string[], who: TrustedBy): Promise<TrustedApproval> {
  const result: TrustedApproval = { approved: 0, keptRejected: 0 };
  const unique = [...new Set(ids)];
  const at = who.at ?? Date.now();
  const records = await getManyChunked<SampleRecord>(store, unique.map(sampleKey));
  for (const [i, record] of records.entries()) {
    if (record?.state === 'rejected') result.keptRejected++;
    else if (record?.state === 'pending' && (await approveOne(store, unique[i], who, at)) === 'approved') result.approved++;
  }
  return result;
}
