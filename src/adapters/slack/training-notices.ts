/**
 * Connects the process's training events to Slack notices. Job records are reported when a
 * job starts (still queued: the dataset is not read yet) and when it ends; the start notice
 * waits for the `train` phase, when the record holds the dataset size, so it is read back
 * from the job history then.
 */
import type { Store } from '../../store/index.js';
import { jobHistory, type JobPhase, type JobRecord } from '../../scheduler/history.js';
import { logger } from '../../log.js';

const log = logger('slack');

/** What `persona serve`'s AppEvents emits (`job` records and `phase` changes). */
export interface TrainingEventSource {
  on(event: 'job', listener: (job: JobRecord) => void): unknown;
  on(event: 'phase', listener: (change: { persona: string; phase: JobPhase }) => void): unknown;
}

export function followTrainingJobs(source: TrainingEventSource, store: Store, notifyJob: (job: JobRecord) => Promise<void>): void {
  source.on('job', (job) => void notifyJob(job));
  source.on('phase', ({ persona, phase }) => {
    if (phase !== 'train') return;
    jobHistory(store)
      .list(persona, 1)
      .then(([latest]) => (latest ? notifyJob(latest) : undefined))
      .catch((error: unknown) => log.warn({ err: error, persona }, 'could not read the training job for its Slack notice'));
  });
}
