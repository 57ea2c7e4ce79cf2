/**
 * `persona rename` while `persona serve` runs: two scheduler replicas (subprocesses sharing
 * a Redis store and the persona folder) drop the old cron entry and install the new one,
 * as their health endpoints show; a removed persona loses its entry too. Waits are bounded
 * polls of /health for the expected list, never fixed sleeps.
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
import { freePort, type RedisServer, startRedis } from '../store/redis-server.ts';

const repo = fileURLToPath(new URL('../../', import.meta.url));
let root: string;
let redis: RedisServer;
const replicas: ChildProcess[] = [];
const stderr = new Map<number, string>();

/** `persona serve` with only the scheduler role, as a replica; its /health port. */
async function startReplica(): Promise<number> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', join(repo, 'node_modules/tsx/dist/esm/index.mjs'), join(repo, 'src/cli/main.ts'), 'serve'], {
    cwd: root,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, LOG_LEVEL: 'silent', PERSONA_ROLES: 'scheduler', HEALTH_PORT: String(port) },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  replicas.push(child);
  stderr.set(port, '');
  child.stderr?.on('data', (chunk: Buffer) => stderr.set(port, stderr.get(port) + chunk.toString()));
  return port;
}

/** Polls a replica's /health until its cron entries are `expected` (at most 60 s). */
async function scheduledBecomes(port: number, expected: string[]): Promise<void> {
  let last: unknown = 'no answer';
  for (const deadline = Date.now() + 60_000; Date.now() < deadline; await delay(100)) {
    const health = await fetch(`http://127.0.0.1:${port}/health`).then(
      (r) => r.json() as Promise<{ training: { scheduled: string[] } }>,
      () => undefined,
    );
    if (!health) continue;
    last = health.training.scheduled;
    if (JSON.stringify([...health.training.scheduled].sort()) === JSON.stringify(expected)) return;
  }
  assert.fail(`port ${port}: scheduled stayed ${JSON.stringify(last)}, expected ${JSON.stringify(expected)}; stderr:\n${stderr.get(port)}`);
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

it('a persona renamed or removed by the CLI while serve runs: every replica reschedules', { timeout: 180_000 }, async () => {
  const ports = [await startReplica(), await startReplica()];
  await Promise.all(ports.map((port) => scheduledBecomes(port, [PERSONA])));

  const renamed = await runCli(root, ['rename', PERSONA, '--id', 'fdr']);
  assert.equal(renamed.code, 0, renamed.stderr);
  await Promise.all(ports.map((port) => scheduledBecomes(port, ['fdr'])));

  const removed = await runCli(root, ['remove', 'fdr', '--yes']);
  assert.equal(removed.code, 0, removed.stderr);
  await Promise.all(ports.map((port) => scheduledBecomes(port, [])));
});
