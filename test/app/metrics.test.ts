/**
 * `GET /metrics` on the health port: Prometheus text that parses, with the training queue,
 * and replies counted by adapter with their latencies (the real discord.js client against
 * the fake Discord, through the shared middleware).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/config.ts';
import { serve } from '../../src/app/serve-process.ts';
import { AppEvents } from '../../src/app/process-events.ts';
import { Metrics } from '../../src/app/metrics.ts';
import { ScriptedEngine } from '../adapters/middleware/services.ts';
import { startHarness } from '../adapters/discord/harness.ts';
import { parsePrometheus } from './prometheus-text.ts';

test('persona serve answers GET /metrics on the health port with Prometheus text', async () => {
  const root = mkdtempSync(join(tmpdir(), 'metrics-'));
  mkdirSync(join(root, 'personas'));
  writeFileSync(join(root, 'personas', 'ada.yaml'), 'id: ada\nname: Ada\n');
  const server = await serve(loadConfig({ root, env: { LOG_LEVEL: 'silent', STUDIO_PORT: '0', HEALTH_PORT: '0', ORT_THREADS: '1' } }));
  try {
    const response = await fetch(`http://127.0.0.1:${server.healthPort}/metrics`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    const samples = parsePrometheus(await response.text());
    assert.equal(samples.get('persona_training_queue_jobs{state="waiting"}'), 0);
    assert.ok(
      [...samples.keys()].some((name) => name.startsWith('persona_process_resident_memory_bytes')),
      'process metrics',
    );
  } finally {
    await server.stop();
    rmSync(root, { recursive: true, force: true });
  }
});

test('replies are counted by adapter, with time to first content and to the final edit', async () => {
  const events = new AppEvents();
  const metrics = new Metrics();
  metrics.follow(events);
  const h = await startHarness({ engine: new ScriptedEngine({ pieces: 4, stepMs: 10 }), middleware: { observe: (o) => events.emit('reply', o) } });
  try {
    h.fake.say(h.users.vic, h.channels.general, 'hello there', { mention: true });
    await h.fake.waitFor(() => h.fake.channelMessages(h.channels.general.id).some((m) => m.author.id === h.fake.bot.id), 10_000, 'a reply');
    const deadline = Date.now() + 5000;
    let samples = parsePrometheus((await metrics.render()).body);
    while (samples.get('persona_replies_total{adapter="discord",outcome="replied"}') !== 1 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      samples = parsePrometheus((await metrics.render()).body);
    }
    assert.equal(samples.get('persona_replies_total{adapter="discord",outcome="replied"}'), 1);
    assert.equal(samples.get('persona_reply_first_content_seconds_count{adapter="discord"}'), 1);
    assert.equal(samples.get('persona_reply_final_edit_seconds_count{adapter="discord"}'), 1);
    assert.ok(
      samples.get('persona_reply_final_edit_seconds_sum{adapter="discord"}')! >= samples.get('persona_reply_first_content_seconds_sum{adapter="discord"}')!,
    );
  } finally {
    await h.stop();
  }
});
