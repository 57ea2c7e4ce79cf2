/**
 * Opt-out of capture, by platform user id. Opting out removes the user's pending candidates
 * (approved samples stay: a curator already accepted them) and blocks future capture:
 * `addDrafts` refuses drafts whose author opted out, and adapters ask `isOptedOut` first.
 */
import type { Store, WriteBatch } from '../store/index.js';
import { authorSet, dedupeRecordKey, optOutKey, sampleKey, stateSet } from './keys.js';
import { getManyChunked } from './sample-store.js';
import type { SampleRecord } from './types.js';

export async function isOptedOut(store: Store, platform: string, userId: string): Promise<boolean> {
  return (await store.get(optOutKey(platform, userId))) !== undefined;
}

export async function optOut(store: Store, platform: string, userId: string, now = Date.now()): Promise<{ removedCandidates: number }> {
  // Mark first: a capture racing with this call is refused from here on.
  await store.set(optOutKey(platform, userId), { at: now });
  const ids = await store.members(authorSet(platform, userId));
  const records = await getManyChunked<SampleRecord>(store, ids.map(sampleKey));
  const pending = records.filter((r): r is SampleRecord => r?.state === 'pending');
  const batch: Required<Pick<WriteBatch, 'delete' | 'remove'>> = { delete: [], remove: [] };
  for (const sample of pending) {
    batch.delete.push(sampleKey(sample.id), dedupeRecordKey(sample.persona, sample.dedupeKey));
    batch.remove.push({ set: stateSet(sample.persona, 'pending'), member: sample.id }, { set: authorSet(platform, userId), member: sample.id });
  }
  if (pending.length > 0) await store.write(batch);
  return { removedCandidates: pending.length };
}

export async function optIn(store: Store, platform: string, userId: string): Promise<void> {
  await store.delete(optOutKey(platform, userId));
}
