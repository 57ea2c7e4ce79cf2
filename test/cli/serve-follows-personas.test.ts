/**
 * `persona rename` while `persona serve` runs: two scheduler replicas (subprocesses sharing
 * a Redis store and the persona folder) drop the old cron entry and install the new one,
 * as their health endpoints show; a removed persona loses its entry too. Each replica is
 * waited for until it prints its health address, and each change by a bounded poll of
 * /health for the expected list, never a fixed sleep.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { appendFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { runCli } from '../personas/cli-helper.ts';
import { makeProject, PERSONA } from '../scheduler/job-fixture.ts';
import { type RedisServer, startRedis } from '../store/redis-server.ts';

const repo = fileURLToPath(new URL('../../', import.meta.url));
let root: string;
let redis: RedisServer;
const replicas: ChildProcess[] = [];
/** What each replica printed, by health port, for failure messages. */
const printed = new Map<number, { text: string }>();

/**
 * `persona serve` with only the scheduler role, as a replica; resolves with its /health port
 * once it prints it. HEALTH_PORT=0 lets the replica pick its own port: a port chosen free here
 * and bound later by the child could be taken meanwhile by another test file running in
 * parallel, and the polls below would then read someone else's /health.
 */
async function startReplica(): Promise<number> {
  const child = spawn(process.execPath, ['--import', join(repo, 'node_modules/tsx/dist/esm/index.mjs'), join(repo, 'src/cli/main.ts'), 'serve'], {
    cwd: root,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, LOG_LEVEL: 'silent', PERSONA_ROLES: 'scheduler', HEALTH_PORT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  replicas.push(child);
  const output = { text: '' };
  child.stderr?.on('data', (chunk: Buffer) => (output.text += chunk.toString()));
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      output.text += chunk.toString();
      const address = /health: http:\/\/127\.0\.0\.1:(\d+)\/health/.exec(output.text);
      if (address) resolve(Number(address[1]));
    });
    child.once('exit', (code) => reject(new Error(`persona serve exited (${code}) before serving /health:\n${output.text}`)));
  });
  printed.set(port, output);
  return port;
}

/** Polls a replica's /health until its cron entries and served personas are `expected` (at most 60 s; the folder is read every 2 s). */
async function scheduledBecomes(port: number, expected: string[]): Promise<void> {
  let last: unknown = 'no answer';
  for (const deadline = Date.now() + 60_000; Date.now() < deadline; await delay(100)) {
    const health = await fetch(`http://127.0.0.1:${port}/health`).then(
      (r) => r.json() as Promise<{ training: { scheduled: string[] }; personas: { serving: string[] } }>,
      () => undefined,
    );
    if (!health) continue;
    last = { scheduled: health.training.scheduled, serving: health.personas.serving };
    const same = (ids: string[]) => JSON.stringify([...ids].sort()) === JSON.stringify(expected);
    if (same(health.training.scheduled) && same(health.personas.serving)) return;
  }
  assert.fail(`port ${port}: stayed ${JSON.stringify(last)}, expected ${JSON.stringify(expected)}; output:\n${printed.get(port)?.text}`);
}

before(async () => {
  redis = await startRedis();
  root = makeProject();
  appendFileSync(join(root, 'personas', `${PERSONA}.yaml`), 'schedule: { cron: "0 3 * * *" }\n');
  writeFileSync(join(root, '.env'), `STORE_URL=${redis.url}\nSTORE_CREATE=1\n`);
});

after(async () => {
  for (const child of replicas) {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
  }
  await redis.stop();
  rmSync(root, { recursive: true, force: true });
});

it('a persona renamed or removed by the CLI while serve runs: every replica reschedules', { timeout: 300_000 }, async () => {
  const ports = [await startReplica(), await startReplica()];
  await Promise.all(ports.map((port) => scheduledBecomes(port, [PERSONA])));

  const renamed = await runCli(root, ['rename', PERSONA, '--id', 'fdr']);
  assert.equal(renamed.code, 0, renamed.stderr);
  await Promise.all(ports.map((port) => scheduledBecomes(port, ['fdr'])));

  const removed = await runCli(root, ['remove', 'fdr', '--yes']);
  assert.equal(removed.code, 0, removed.stderr);
  await Promise.all(ports.map((port) => scheduledBecomes(port, [])));
});
