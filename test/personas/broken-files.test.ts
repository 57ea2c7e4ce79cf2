/**
 * One broken persona file (bad YAML, an invalid cron expression, an unknown time zone) must
 * not stop `persona serve` or `persona list` for the others: serve starts with the good ones,
 * schedules only them, and reports the broken ones by file in its health report and the
 * studio's persona list; `persona list` prints the rest and an error row.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { serve } from '../../src/app/serve-process.ts';
import { loadConfig } from '../../src/config/config.ts';
import { isPersonaError } from '../../src/errors.ts';
import { loadPersona, parsePersona, readPersonaDir } from '../../src/personas/load.ts';
import { runCli } from './cli-helper.ts';

function projectWithBrokenFiles(): string {
  const root = mkdtempSync(join(tmpdir(), 'broken-personas-'));
  const dir = join(root, 'personas');
  mkdirSync(dir);
  writeFileSync(join(dir, 'good.yaml'), 'id: good\nname: Good\nschedule:\n  cron: "0 3 * * *"\n  timezone: Europe/Paris\n');
  writeFileSync(join(dir, 'mars.yaml'), 'id: mars\nname: Mars\nschedule:\n  cron: "0 3 * * *"\n  timezone: Mars/Olympus\n');
  writeFileSync(join(dir, 'minute.yaml'), 'id: minute\nname: Minute\nschedule:\n  cron: "61 * * * *"\n');
  writeFileSync(join(dir, 'yaml.yaml'), 'id: [yaml\n');
  mkdirSync(join(dir, 'zdir.yaml')); // not even a file
  return root;
}

test('an invalid cron expression or time zone is refused when the file is read, naming file and field', () => {
  assert.throws(
    () => parsePersona('id: a\nname: A\nschedule:\n  cron: "0 3 * * *"\n  timezone: Mars/Olympus\n', 'personas/a.yaml'),
    (e) =>
      isPersonaError(e, 'persona_invalid') && /personas\/a\.yaml/.test(e.message) && /schedule\.timezone/.test(e.message) && /Mars\/Olympus/.test(e.message),
  );
  assert.throws(
    () => parsePersona('id: a\nname: A\nschedule:\n  cron: "61 * * * *"\n', 'personas/a.yaml'),
    (e) => isPersonaError(e, 'persona_invalid') && /schedule\.cron/.test(e.message) && /minute/.test(e.message),
  );
  assert.equal(
    parsePersona('id: a\nname: A\nschedule:\n  cron: "0 3 * * 1-5"\n  timezone: America/New_York\n', 'a.yaml').schedule.timezone,
    'America/New_York',
  );
});

test('readPersonaDir keeps the good personas and names every broken file', () => {
  const root = projectWithBrokenFiles();
  try {
    const { personas, broken } = readPersonaDir(join(root, 'personas'));
    assert.deepEqual(
      personas.map((p) => p.id),
      ['good'],
    );
    assert.deepEqual(
      broken.map((b) => b.id),
      ['mars', 'minute', 'yaml', 'zdir'],
    );
    assert.match(broken[3].error.message, /zdir\.yaml cannot be read \(EISDIR\)/);
    for (const b of broken) assert.match(b.error.message, new RegExp(`${b.id}\\.yaml`));
    assert.throws(() => loadPersona(join(root, 'personas'), 'mars'), /schedule\.timezone/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('persona serve starts with the good personas and reports the broken files (health, studio)', async () => {
  const root = projectWithBrokenFiles();
  const config = loadConfig({ root, env: { LOG_LEVEL: 'silent', STUDIO_PORT: '0', HEALTH_PORT: '0', ORT_THREADS: '1' } });
  const server = await serve(config);
  try {
    assert.deepEqual(server.scheduler.status.scheduled, ['good']);
    const health = (await (await fetch(`http://127.0.0.1:${server.healthPort}/health`)).json()) as {
      personas: { serving: string[]; broken: Array<{ file: string; error: string }> };
    };
    assert.deepEqual(health.personas.serving, ['good']);
    assert.deepEqual(
      health.personas.broken.map((b) => b.file),
      ['mars', 'minute', 'yaml', 'zdir'].map((id) => join(root, 'personas', `${id}.yaml`)),
    );
    assert.match(health.personas.broken[0].error, /Mars\/Olympus/);
    const studio = server.adapters.find((a) => a.name === 'studio')?.url;
    const rows = (await (await fetch(new URL('/api/personas', studio))).json()) as Array<{ id: string; error?: string }>;
    assert.deepEqual(
      rows.filter((r) => r.error).map((r) => r.id),
      ['mars', 'minute', 'yaml', 'zdir'],
    );
    assert.ok(rows.some((r) => r.id === 'good' && !r.error));
  } finally {
    await server.stop();
    rmSync(root, { recursive: true, force: true });
  }
});

test('persona list prints the good personas and an error row, exit 0; persona show refuses a bad time zone', async () => {
  const root = projectWithBrokenFiles();
  try {
    const list = await runCli(root, ['list']);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /^good\s+Good$/m);
    assert.match(list.stdout, /^mars\s+error: .*mars\.yaml.*schedule\.timezone/m);
    assert.match(list.stdout, /^yaml\s+error: .*not valid YAML/m);
    const show = await runCli(root, ['show', 'mars']);
    assert.equal(show.code, 1);
    assert.match(show.stderr, /mars\.yaml: field "schedule\.timezone" is invalid/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
