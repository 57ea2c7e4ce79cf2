/**
 * `/health` of a running `persona serve` reports the persona folder as it is now: a persona
 * file added while serving is listed (and scheduled), one broken by an edit moves to
 * `broken`, a removed one disappears. Each wait is a bounded poll of /health for the
 * expected report, never a fixed sleep.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { serve } from '../../src/app/serve-process.ts';
import { loadConfig } from '../../src/config/config.ts';

interface HealthPersonas {
  serving: string[];
  broken: Array<{ id: string; code: string; error: string }>;
  scheduled: string[];
}

async function personasReport(port: number): Promise<HealthPersonas> {
  const health = (await (await fetch(`http://127.0.0.1:${port}/health`)).json()) as {
    personas: Omit<HealthPersonas, 'scheduled'>;
    training: { scheduled: string[] };
  };
  return { ...health.personas, scheduled: [...health.training.scheduled].sort() };
}

/** Polls /health until `matches` holds (the folder is re-read every 2 s; at most 60 s under load). */
async function reportBecomes(port: number, matches: (report: HealthPersonas) => boolean): Promise<HealthPersonas> {
  let last = await personasReport(port);
  for (let i = 0; i < 1200 && !matches(last); i++) {
    await delay(50);
    last = await personasReport(port);
  }
  assert.ok(matches(last), `health stayed ${JSON.stringify(last)}`);
  return last;
}

const personaYaml = (id: string) => `id: ${id}\nname: ${id.toUpperCase()}\nschedule:\n  cron: "0 3 * * *"\n`;

test('persona files added, broken and removed while serving change /health and the schedules', { timeout: 120_000 }, async () => {
  const root = mkdtempSync(join(tmpdir(), 'health-personas-'));
  const dir = join(root, 'personas');
  mkdirSync(dir);
  writeFileSync(join(dir, 'ada.yaml'), personaYaml('ada'));
  const server = await serve(loadConfig({ root, env: { LOG_LEVEL: 'silent', STUDIO_PORT: '0', HEALTH_PORT: '0', ORT_THREADS: '1' } }));
  const port = server.healthPort!;
  try {
    const atStart = await personasReport(port);
    assert.deepEqual(atStart, { serving: ['ada'], broken: [], scheduled: ['ada'] });

    writeFileSync(join(dir, 'bob.yaml'), personaYaml('bob'));
    // Waits are for the final state: a check may fall between the truncation and the write of a file.
    const added = await reportBecomes(port, (r) => r.serving.includes('bob'));
    assert.deepEqual(added, { serving: ['ada', 'bob'], broken: [], scheduled: ['ada', 'bob'] });

    writeFileSync(join(dir, 'ada.yaml'), 'id: ada\nname: Ada\nschedule:\n  cron: "61 * * * *"\n');
    const broken = await reportBecomes(port, (r) => r.broken.some((b) => b.id === 'ada' && /schedule\.cron/.test(b.error)));
    assert.deepEqual(broken.serving, ['bob']);
    assert.deepEqual(broken.scheduled, ['bob']);
    assert.deepEqual(
      broken.broken.map((b) => [b.id, b.code]),
      [['ada', 'persona_invalid']],
    );
    assert.match(broken.broken[0].error, /ada\.yaml.*schedule\.cron/);

    rmSync(join(dir, 'bob.yaml'));
    const removed = await reportBecomes(port, (r) => !r.serving.includes('bob'));
    assert.deepEqual(removed, { serving: [], broken: removed.broken, scheduled: [] });
    assert.deepEqual(
      removed.broken.map((b) => b.id),
      ['ada'],
    );
  } finally {
    await server.stop();
    rmSync(root, { recursive: true, force: true });
  }
});
