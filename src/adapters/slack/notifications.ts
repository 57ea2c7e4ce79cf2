/**
 * Training run notices for the Slack channel: when a run starts (dataset size) and when it
 * ends (validation loss before → after, style metrics, and whether the new model was
 * promoted or the champion kept, with the reason). The scheduler calls `notifyTraining` on
 * the running adapter; `renderTrainingNotice` is pure so other adapters can reuse the wording.
 */
import type { JobRecord } from '../../scheduler/history.js';
import type { SlackClient } from './bolt-app.js';
import { escape } from './review-message.js';

export interface TrainingNotice {
  personaId: string;
  personaName?: string;
  phase: 'started' | 'finished' | 'failed';
  runId?: string;
  /** Approved samples the run trains on (and their split, once known). */
  dataset?: { samples: number; train?: number; validation?: number; version?: string };
  /** Validation loss of the champion (before) and of the new model (after). */
  validationLoss?: { before?: number; after?: number };
  /** Style metrics of the new model, e.g. { distinct_2: 0.41, avg_words: 17.2 }. */
  styleMetrics?: Record<string, number>;
  /** Only for `finished`. */
  outcome?: { promoted: boolean; reason: string; version?: string };
  /** Only for `failed`: one sentence. */
  error?: string;
  durationMs?: number;
}

export function renderTrainingNotice(notice: TrainingNotice): string {
  const who = `*${escape(notice.personaName ?? notice.personaId)}* (\`${notice.personaId}\`)`;
  const run = notice.runId ? ` run \`${notice.runId}\`` : '';
  const dataset = notice.dataset ? describeDataset(notice.dataset) : undefined;
  if (notice.phase === 'started') return [`🏋️ Training started for ${who}${run}`, dataset].filter(Boolean).join('\n');
  const took = notice.durationMs !== undefined ? ` in ${formatDuration(notice.durationMs)}` : '';
  if (notice.phase === 'failed')
    return [`⚠️ Training failed for ${who}${run}${took}: ${escape(notice.error ?? 'unknown error')}`, 'The current model stays in use.'].join('\n');
  const lines = [`🏁 Training finished for ${who}${run}${took}`];
  if (dataset) lines.push(dataset);
  if (notice.validationLoss) lines.push(`validation loss: ${formatLoss(notice.validationLoss.before)} → ${formatLoss(notice.validationLoss.after)}`);
  const metrics = Object.entries(notice.styleMetrics ?? {});
  if (metrics.length) lines.push(`style: ${metrics.map(([name, value]) => `${name} ${Number.isInteger(value) ? value : value.toFixed(3)}`).join(', ')}`);
  if (notice.outcome) {
    const version = notice.outcome.version ? ` ${notice.outcome.version}` : '';
    lines.push(
      notice.outcome.promoted ? `✅ promoted${version}: ${escape(notice.outcome.reason)}` : `↩️ kept the current model: ${escape(notice.outcome.reason)}`,
    );
  }
  return lines.join('\n');
}

export async function postTrainingNotice(client: SlackClient, channel: string, notice: TrainingNotice): Promise<string | undefined> {
  const answer = await client.chat.postMessage({ channel, text: renderTrainingNotice(notice), unfurl_links: false });
  return answer.ts;
}

function describeDataset(dataset: NonNullable<TrainingNotice['dataset']>): string {
  const version = dataset.version ? ` ${dataset.version}` : '';
  const split = dataset.train !== undefined && dataset.validation !== undefined ? ` (${dataset.train} training + ${dataset.validation} validation)` : '';
  return `dataset${version}: ${dataset.samples} approved samples${split}`;
}

/**
 * The notice for a scheduler job record: `started` once the job reaches its training phase
 * (the dataset is known by then), `finished`/`failed` when it ends. Skipped runs (too few
 * new samples) and the queued state say nothing, so a nightly schedule is not noise.
 */
export function noticeFromJob(job: JobRecord): TrainingNotice | undefined {
  const base = { personaId: job.persona, runId: job.id };
  const samples = job.metrics.approved_samples;
  const dataset =
    samples === undefined
      ? undefined
      : { samples, version: job.datasetVersion, train: job.train?.data.trainSamples, validation: job.train?.data.validationSamples };
  if (job.status === 'running') return job.phase === 'train' ? { ...base, phase: 'started', dataset } : undefined;
  if (job.status === 'skipped') return undefined;
  const durationMs = job.finishedAt ? Date.parse(job.finishedAt) - Date.parse(job.startedAt) : undefined;
  if (job.status === 'failed' || job.status === 'interrupted') return { ...base, phase: 'failed', error: job.message, durationMs };
  const styleMetrics = Object.fromEntries(
    Object.entries(job.metrics)
      .filter(([key]) => key.startsWith('style_') && key.endsWith('_after'))
      .map(([key, value]) => [key.slice('style_'.length, -'_after'.length), value]),
  );
  const before = job.metrics.validation_loss_before;
  const after = job.metrics.validation_loss_after;
  return {
    ...base,
    phase: 'finished',
    dataset,
    validationLoss: before === undefined && after === undefined ? undefined : { before, after },
    styleMetrics,
    outcome: { promoted: job.status === 'promoted', reason: job.message ?? '', version: job.version },
    durationMs,
  };
}

function formatLoss(loss: number | undefined): string {
  return loss === undefined ? 'n/a' : loss.toFixed(4);
}

function formatDuration(ms: number): string {
  const seconds = Math.round(ms / 1000);
  if (seconds < 120) return `${seconds} s`;
  const minutes = Math.round(seconds / 60);
  return minutes < 120 ? `${minutes} min` : `${(minutes / 60).toFixed(1)} h`;
}
