/**
 * The generate queue on `/metrics` (real redis-server on 127.0.0.1): a bots process that
 * sends its replies to generator workers reports the queue's depth by state, and how long
 * each reply waited for a worker to take it. A studio chat waits in the queue while no
 * worker runs (seen as `waiting` 1), then a worker starts and answers it. Every wait is a
 * bounded poll of /metrics for the expected value, never a fixed sleep.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { stringify } from 'yaml';
import { openCore } from '../../src/app/core.ts';
import { startGeneratorWorker } from '../../src/app/generator-worker.ts';
import { serve } from '../../src/app/serve-process.ts';
import { loadConfig } from '../../src/config/config.ts';
import { writeTinyModelFolder } from '../fixtures/tiny-model-folder.ts';
import { startRedis } from '../store/redis-server.ts';
import { parsePrometheus } from './prometheus-text.ts';

const WAITING = 'persona_generation_queue_jobs{state="waiting"}';
const COMPLETED = 'persona_generation_queue_jobs{state="completed"}';
const WAITS = 'persona_generation_queue_wait_seconds_count';
const WAITED = 'persona_generation_queue_wait_seconds_sum';

test('a bots process reports the generate queue depth and each reply’s wait for a worker', { timeout: 180_000 }, async () => {
  const redis = await startRedis();
  const root = mkdtempSync(join(tmpdir(), 'generation-metrics-'));
  mkdirSync(join(root, 'personas'));
  const model = writeTinyModelFolder({ flavour: 'serving' });
  writeFileSync(join(root, 'personas', 'ada.yaml'), stringify({ id: 'ada', name: 'Ada', base: model.dir, sampling: { max_new_tokens: 4, temperature: 0 } }));
  const url = `${redis.url}/1`;
  // The reply may wait long for its worker on a loaded machine: the wait bound is not what is tested here.
  const env = { LOG_LEVEL: 'silent', ORT_THREADS: '1', STORE_URL: url, GENERATION_MAX_WAIT_MS: '150000' };
  const server = await serve(loadConfig({ root, env: { ...env, PERSONA_ROLES: 'bots', HEALTH_PORT: '0', STUDIO_PORT: '0' } }));
  let workerCore: Awaited<ReturnType<typeof openCore>> | undefined;
  let worker: ReturnType<typeof startGeneratorWorker> | undefined;
  const metrics = async () => parsePrometheus(await (await fetch(`http://127.0.0.1:${server.healthPort}/metrics`)).text());
  /** Polls /metrics until `matches` holds (at most 1,200 reads). */
  const metricsBecome = async (matches: (samples: Map<string, number>) => boolean, what: string) => {
    let samples = await metrics();
    for (let i = 0; i < 1200 && !matches(samples); i++) {
      await delay(50);
      samples = await metrics();
    }
    assert.ok(matches(samples), `${what}: ${JSON.stringify(Object.fromEntries([...samples].filter(([name]) => name.includes('generation'))))}`);
    return samples;
  };
  try {
    const idle = await metrics();
    assert.equal(idle.get(WAITING), 0);
    assert.equal(idle.get(WAITS), 0);

    const studio = server.adapters.find((adapter) => adapter.name === 'studio')!.url!;
    const reply = fetch(new URL('/api/chat/ada', studio), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ turns: [{ speaker: 'vic', text: 'hello there' }] }),
    }).then((response) => response.text());
    await metricsBecome((s) => s.get(WAITING) === 1, 'the reply waits in the queue');
    const seenWaiting = performance.now();

    workerCore = await openCore(loadConfig({ root, env }));
    const workerStarted = performance.now();
    worker = startGeneratorWorker(workerCore, url);
    assert.match(await reply, /^event: done$/m, 'the worker answered the reply');

    const done = await metricsBecome((s) => s.get(WAITS) === 1 && s.get(WAITING) === 0 && s.get(COMPLETED) === 1, 'the reply was taken and finished');
    // It was queued before it was seen waiting, and taken after the worker started.
    assert.ok(done.get(WAITED)! >= (workerStarted - seenWaiting) / 1000, `waited ${done.get(WAITED)} s`);
  } finally {
    await worker?.close();
    await workerCore?.close();
    await server.stop();
    await redis.stop();
    rmSync(root, { recursive: true, force: true });
    rmSync(model.dir, { recursive: true, force: true });
  }
});
