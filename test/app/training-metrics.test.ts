/**
 * The training queue's wait on `/metrics` and in the job record (real redis-server on
 * 127.0.0.1): a run started in the studio of a bots-only process waits in the shared queue
 * (seen as `waiting` 1) until a trainer process starts; the trainer reports how long the job
 * waited, and the job's history record keeps when it was queued. Every wait is a bounded
 * poll for the expected value, never a fixed sleep.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { serve, type Server } from '../../src/app/serve-process.ts';
import { loadConfig } from '../../src/config/config.ts';
import { loadPersona } from '../../src/personas/load.ts';
import { jobHistory, type JobRecord } from '../../src/scheduler/history.ts';
import { approveSamples, makeProject, PERSONA } from '../scheduler/job-fixture.ts';
import { startRedis } from '../store/redis-server.ts';
import { parsePrometheus } from './prometheus-text.ts';

const WAITING = 'persona_training_queue_jobs{state="waiting"}';
const WAITS = 'persona_training_queue_wait_seconds_count';
const WAITED = 'persona_training_queue_wait_seconds_sum';

/** Polls `read` until `matches` holds (at most 1,200 reads, 50 ms apart). */
async function become<T>(read: () => Promise<T>, matches: (value: T) => boolean, what: string): Promise<T> {
  let value = await read();
  for (let i = 0; i < 1200 && !matches(value); i++) {
    await delay(50);
    value = await read();
  }
  assert.ok(matches(value), `${what}: ${JSON.stringify(value instanceof Map ? Object.fromEntries(value) : value)}`);
  return value;
}

test('a trainer reports how long each training job waited in the queue, and the job records when it was queued', { timeout: 180_000 }, async () => {
  const redis = await startRedis();
  const root = makeProject(1);
  const baseDir = loadPersona(join(root, 'personas'), PERSONA).base!;
  const env = { LOG_LEVEL: 'silent', ORT_THREADS: '1', STORE_URL: `${redis.url}/1`, TRAINING_JOB_LOCK_MS: '60000', HEALTH_PORT: '0' };
  let bots: Server | undefined;
  let trainer: Server | undefined;
  const metrics = async (server: Server) => parsePrometheus(await (await fetch(`http://127.0.0.1:${server.healthPort}/metrics`)).text());
  try {
    bots = await serve(loadConfig({ root, env: { ...env, PERSONA_ROLES: 'bots', STUDIO_PORT: '0' } }));
    await approveSamples(bots.core.store, 6);
    const studio = bots.adapters.find((adapter) => adapter.name === 'studio')!.url!;
    const started = await fetch(new URL(`/api/training/${PERSONA}/start`, studio), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    assert.equal(started.status, 202);
    await become(
      () => metrics(bots!),
      (s) => s.get(WAITING) === 1,
      'the run waits in the queue',
    );
    const seenWaiting = Date.now();

    const trainerStarted = Date.now();
    trainer = await serve(loadConfig({ root, env: { ...env, PERSONA_ROLES: 'trainer' } }));
    const taken = await become(
      () => metrics(trainer!),
      (s) => s.get(WAITS) === 1,
      'the trainer took the job',
    );
    const waited = taken.get(WAITED)!;
    // Queued before it was seen waiting, taken after the trainer started.
    assert.ok(waited >= (trainerStarted - seenWaiting) / 1000, `waited ${waited} s`);

    const history = jobHistory(bots.core.store);
    const [record] = await become<JobRecord[]>(
      () => history.list(PERSONA),
      (jobs) => jobs.length === 1,
      'the job record',
    );
    assert.equal(record.reason, 'studio');
    const queuedAt = Date.parse(record.queuedAt!);
    assert.ok(queuedAt <= seenWaiting, `queued at ${record.queuedAt}, seen waiting at ${new Date(seenWaiting).toISOString()}`);
    // The wait was measured just before the record was started.
    assert.ok(Date.parse(record.startedAt) - queuedAt >= Math.round(waited * 1000), `record: ${record.queuedAt} → ${record.startedAt}; metric: ${waited} s`);
    assert.equal((await metrics(bots)).get(WAITS), 0, 'only the process that ran the job reports its wait');
  } finally {
    await trainer?.stop();
    await bots?.stop();
    await redis.stop();
    rmSync(root, { recursive: true, force: true });
    rmSync(baseDir, { recursive: true, force: true });
  }
});
