/**
 * Rebuilding a persona's index sets from its sample records. The records are the truth;
 * the state sets (`idx:<persona>:pending|approved|rejected`), the exemplary set and the
 * dedupe keys are derived from them. Stores written by versions whose ingest was not
 * atomic can list a sample under two states (so unreviewed samples were exported):
 * `persona dataset repair <id>` puts every sample back under exactly its record's state.
 */
import type { Store, WriteBatch } from '../store/index.js';
import { dedupeRecordKey, exemplarySet, stateSet } from './keys.js';
import { getManyChunked } from './sample-store.js';
import { SAMPLE_STATES, type SampleRecord } from './types.js';

export interface RepairReport {
  persona: string;
  /** Sample records of the persona. */
  samples: number;
  /** Index entries added (a record missing from its state set) and removed (stale or doubled). */
  added: number;
  removed: number;
  /** Dedupe keys written back for records that had none. */
  dedupeKeys: number;
}

export async function repairIndexes(store: Store, persona: string): Promise<RepairReport> {
  const records = new Map<string, SampleRecord>();
  for await (const [, record] of store.scan<SampleRecord>('sample:')) if (record.persona === persona) records.set(record.id, record);
  const batch: Required<Pick<WriteBatch, 'set' | 'add' | 'remove'>> = { set: [], add: [], remove: [] };
  const reconcile = async (set: string, belongs: (record: SampleRecord) => boolean) => {
    const listed = new Set(await store.members(set));
    for (const id of listed) {
      const record = records.get(id);
      if (!record || !belongs(record)) batch.remove.push({ set, member: id });
    }
    for (const record of records.values()) if (belongs(record) && !listed.has(record.id)) batch.add.push({ set, member: record.id });
  };
  for (const state of SAMPLE_STATES) await reconcile(stateSet(persona, state), (record) => record.state === state);
  await reconcile(exemplarySet(persona), (record) => record.exemplary);

  const all = [...records.values()];
  const owners = await getManyChunked<string>(
    store,
    all.map((r) => dedupeRecordKey(persona, r.dedupeKey)),
  );
  all.forEach((record, i) => {
    if (owners[i] === undefined) batch.set.push({ key: dedupeRecordKey(persona, record.dedupeKey), value: record.id });
  });
  if (batch.set.length + batch.add.length + batch.remove.length > 0) await store.write(batch);
  return { persona, samples: records.size, added: batch.add.length, removed: batch.remove.length, dedupeKeys: batch.set.length };
}
