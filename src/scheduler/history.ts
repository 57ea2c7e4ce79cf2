/**
 * Job history in the store: one record per training job with its status, the phase it is
 * in, timings, metrics and a short message, listed newest first per persona.
 *
 * Every read reconciles: a job still `running` whose process on this host is gone (killed,
 * crashed) is marked `interrupted` there and then, so `persona jobs`, the studio and Slack
 * never show a dead job as running; a candidate version that such a job left before its
 * evaluation finished is marked rejected instead of staying a metric-less candidate forever.
 */
import { hostname } from 'node:os';
import { recordKey as modelRecordKey } from '../registry/registry.js';
import type { ModelVersionRecord } from '../registry/types.js';
import type { Store } from '../store/index.js';
import { processAlive } from '../util/process.js';
import type { TrainReport } from '../training/trainer/train-persona.js';
import type { JobOptions } from './job.js';

export type JobStatus = 'running' | 'skipped' | 'promoted' | 'kept' | 'failed' | 'interrupted';
export type JobPhase = 'queued' | 'dataset' | 'train' | 'evaluate' | 'promote' | 'done';

export interface JobRecord {
  id: string;
  persona: string;
  reason: 'schedule' | 'manual' | 'cli' | 'slack' | 'discord' | 'studio';
  status: JobStatus;
  phase: JobPhase;
  host: string;
  pid: number;
  /** When the run was queued (absent for `persona train`, which runs at once): its wait is startedAt − queuedAt. */
  queuedAt?: string;
  startedAt: string;
  finishedAt?: string;
  datasetVersion?: string;
  version?: string;
  metrics: Record<string, number>;
  message?: string;
  /** The trainer's report of this run (hyperparameters, data sizes, losses, throughput). */
  train?: TrainReport;
}

const jobKey = (persona: string, id: string) => `job:${persona}:${id}`;
const jobsSet = (persona: string) => `jobs:${persona}`;

export function jobHistory(store: Store) {
  async function save(record: JobRecord): Promise<JobRecord> {
    await store.write({ set: [{ key: jobKey(record.persona, record.id), value: record }], add: [{ set: jobsSet(record.persona), member: record.id }] });
    return record;
  }
  /** Marks a dead process's running job interrupted, and settles the candidate it left unevaluated. */
  async function reconcile(record: JobRecord): Promise<JobRecord> {
    if (record.status !== 'running' || record.host !== hostname() || processAlive(record.pid)) return record;
    const phase = record.phase;
    Object.assign(record, {
      status: 'interrupted',
      phase: 'done',
      finishedAt: new Date().toISOString(),
      message: `the process running this job stopped during the ${phase} phase`,
    });
    await save(record);
    if (record.version) {
      const key = modelRecordKey(record.persona, record.version);
      const model = await store.get<ModelVersionRecord>(key);
      if (model?.status === 'candidate')
        await store.set(key, { ...model, status: 'rejected', note: `its job ${record.id} was interrupted during the ${phase} phase, before the gate decided` });
    }
    return record;
  }

  return {
    /**
     * A new record, or with `attemptOf` (a queued job's creation time and queue id) the one
     * record every attempt of that queued job shares: a retry after a worker died or the store
     * dropped out continues it instead of leaving a second, forever-`running` entry.
     * `queuedAt`: when the run was queued (epoch ms); a queued job's creation time by default.
     */
    async start(persona: string, reason: JobRecord['reason'], { attemptOf, queuedAt }: Pick<JobOptions, 'attemptOf' | 'queuedAt'> = {}): Promise<JobRecord> {
      const now = new Date();
      const stamp = (at: Date) => at.toISOString().replace(/[-:.TZ]/g, '');
      const id = attemptOf ? `j${stamp(new Date(attemptOf.createdAt))}-q${attemptOf.queueId}` : `j${stamp(now)}-${process.pid}`;
      const queuedMs = queuedAt ?? attemptOf?.createdAt;
      const queued = queuedMs === undefined ? {} : { queuedAt: new Date(queuedMs).toISOString() };
      return save({
        id,
        persona,
        reason,
        status: 'running',
        phase: 'queued',
        host: hostname(),
        pid: process.pid,
        ...queued,
        startedAt: now.toISOString(),
        metrics: {},
      });
    },
    async update(record: JobRecord, patch: Partial<JobRecord>): Promise<JobRecord> {
      Object.assign(record, patch);
      return save(record);
    },
    async finish(record: JobRecord, status: JobStatus, message: string, report?: TrainReport): Promise<JobRecord> {
      Object.assign(record, { status, message, phase: 'done', finishedAt: new Date().toISOString() });
      if (report) record.train = report;
      return save(record);
    },
    /** Newest first. */
    async list(persona: string, limit = 20): Promise<JobRecord[]> {
      const ids = (await store.members(jobsSet(persona))).sort().reverse().slice(0, limit);
      const records = await store.getMany<JobRecord>(ids.map((id) => jobKey(persona, id)));
      return Promise.all(records.filter((r): r is JobRecord => r !== undefined).map(reconcile));
    },
    /** Jobs left `running` by a process on this host that no longer exists become `interrupted`. */
    async recover(persona: string): Promise<JobRecord[]> {
      const ids = (await store.members(jobsSet(persona))).sort().reverse().slice(0, 1000);
      const records = (await store.getMany<JobRecord>(ids.map((id) => jobKey(persona, id)))).filter((r): r is JobRecord => r?.status === 'running');
      const fixed: JobRecord[] = [];
      for (const record of records) if ((await reconcile(record)).status === 'interrupted') fixed.push(record);
      return fixed;
    },
  };
}
