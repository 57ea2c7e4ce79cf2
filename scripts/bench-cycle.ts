/**
 * `npm run bench:cycle`: one full scheduled retraining cycle of an example persona on the
 * bundled base, as `persona serve` runs it — the cron schedule fires (an injected clock, so
 * no waiting), the job snapshots the dataset, trains (the persona file's LoRA settings),
 * evaluates the new version and the base on the same held-out samples (validation loss and
 * style metrics of sampled replies), and the gate promotes or keeps. Records wall time per
 * phase and the before/after figures in docs/benchmarks.md.
 *
 * Usage: npm run bench:cycle [-- --persona jfk] [-- --no-write]
 * Runs in a temp project folder (copies of personas/ and the bundled base), never in data/.
 */
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { openCore } from '../src/app/core.js';
import { loadConfig } from '../src/config/config.js';
import { ensureExampleTranscripts } from '../src/datasets/examples.js';
import { loadPersona } from '../src/personas/load.js';
import { ManualCronDriver } from '../src/scheduler/cron.js';
import type { JobPhase, JobRecord } from '../src/scheduler/history.js';
import { TrainingScheduler } from '../src/scheduler/scheduler.js';
import { writeBenchmarkSection } from './lib/benchmarks-doc.js';

const { values: args } = parseArgs({ options: { persona: { type: 'string', default: 'jfk' }, 'no-write': { type: 'boolean', default: false } } });
const personaId = args.persona!;
const load = loadavg()[0];
const root = mkdtempSync(join(tmpdir(), 'bench-cycle-'));
cpSync(resolve('personas'), join(root, 'personas'), { recursive: true });
const config = loadConfig({ root, env: { BASE_MODEL_DIR: resolve('models/base'), LOG_LEVEL: 'error' } });

const core = await openCore(config);
const phases = new Map<JobPhase, number>();
let finished: JobRecord | undefined;
try {
  const setupStart = Date.now();
  await ensureExampleTranscripts(config, core.store);
  const setupSeconds = (Date.now() - setupStart) / 1000;
  const persona = loadPersona(config.PERSONAS_DIR, personaId);
  if (!persona.schedule.cron) throw new Error(`personas/${personaId}.yaml has no schedule.cron`);
  const start = new Date('2026-01-01T00:00:00Z');
  const driver = new ManualCronDriver(start);
  const scheduler = new TrainingScheduler(
    {
      config,
      store: core.store,
      registry: core.registry,
      engine: core.engine,
      onPhase: (_p, phase) => phases.set(phase, Date.now()),
      onJob: (record) => void (record.status !== 'running' && (finished = record)),
    },
    driver,
  );
  scheduler.schedule([persona]);
  const cycleStart = Date.now();
  driver.advanceTo(new Date(start.getTime() + 2 * 86_400_000 - 1));
  while (!finished) await new Promise((r) => setTimeout(r, 200));
  const cycleSeconds = (Date.now() - cycleStart) / 1000;
  await scheduler.stop();

  const job = finished;
  const at = (phase: JobPhase) => phases.get(phase) ?? Date.now();
  const span = (from: JobPhase, to: JobPhase | 'end') => ((to === 'end' ? cycleStart + cycleSeconds * 1000 : at(to)) - at(from)) / 1000;
  const m = job.metrics;
  const fmt = (x: number | undefined, d = 3) => (x === undefined ? '–' : x.toFixed(d));
  const lines = [
    '## bench:cycle',
    '',
    `\`npm run bench:cycle -- --persona ${personaId}\` (scripts/bench-cycle.ts): one scheduled retraining cycle of an example persona on the bundled base, as \`persona serve\` runs it (cron fired by an injected clock; dataset snapshot → LoRA training with the persona file's settings → validation loss and style metrics of 8 sampled replies for the new version and the base → gate → promote).`,
    '',
    `Measured ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC on ${cpus().length} cores, load average ${load.toFixed(1)} at start. Example transcripts written and ingested first in ${setupSeconds.toFixed(1)} s.`,
    '',
    '| persona | approved samples | train steps | status | validation loss before → after | perplexity after | wall: train / evaluate / total |',
    '|---|---|---|---|---|---|---|',
    `| ${personaId} | ${m.approved_samples} | ${job.train?.metrics.steps ?? '–'} | ${job.status} | ${fmt(m.validation_loss_before)} → ${fmt(m.validation_loss_after)} | ${fmt(m.validation_perplexity_after, 1)} | ${span('train', 'evaluate').toFixed(0)} s / ${span('evaluate', 'promote').toFixed(0)} s / ${cycleSeconds.toFixed(0)} s |`,
    '',
    `Gate: ${job.message}. Style after (before): length ratio ${fmt(m.style_length_ratio_after, 2)} (${fmt(m.style_length_ratio_before, 2)}), vocabulary overlap ${fmt(m.style_vocabulary_overlap_after, 2)} (${fmt(m.style_vocabulary_overlap_before, 2)}), distinct-2 ${fmt(m.style_distinct_2_after, 2)} (${fmt(m.style_distinct_2_before, 2)}), other-speaker rate ${fmt(m.style_other_speaker_rate_after, 2)} (${fmt(m.style_other_speaker_rate_before, 2)}).`,
  ];
  console.log(lines.join('\n'));
  if (!args['no-write']) writeBenchmarkSection('cycle', lines);
} finally {
  await core.close();
  rmSync(root, { recursive: true, force: true });
}
