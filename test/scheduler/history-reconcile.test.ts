/**
 * A job whose process was killed (SIGKILL: no chance to record anything) is shown as
 * interrupted by the next read of the job list, from any command; a candidate it left in
 * the middle of its evaluation is settled as rejected, not left a candidate forever.
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import { ModelRegistry } from '../../src/registry/registry.ts';
import { jobHistory } from '../../src/scheduler/history.ts';
import { onEveryBackend } from '../store/backends.ts';

/** The pid of a process that has exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(child.stdout);
}

onEveryBackend('job history reconciliation', (store) => {
  it('a killed job reads as interrupted and its half-evaluated candidate as rejected', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'persona-reconcile-'));
    const registry = new ModelRegistry(store(), dir, async () => undefined);
    mkdirSync(join(dir, 'recon', 'v1'), { recursive: true });
    await registry.register({
      persona: 'recon',
      version: 'v1',
      dir: join(dir, 'recon', 'v1'),
      createdAt: new Date().toISOString(),
      base: 'models/base',
      method: 'lora',
      hyperparameters: {},
      metrics: {},
    });

    const history = jobHistory(store());
    const killed = await history.start('recon', 'cli');
    await history.update(killed, { pid: deadPid(), phase: 'evaluate', version: 'v1' });
    await sleep(5); // job ids carry the start time in ms
    const alive = await history.start('recon', 'cli'); // this process: still running

    const listed = await jobHistory(store()).list('recon');
    const byId = Object.fromEntries(listed.map((job) => [job.id, job]));
    assert.equal(byId[killed.id].status, 'interrupted');
    assert.match(byId[killed.id].message ?? '', /stopped during the evaluate phase/);
    assert.equal(byId[alive.id].status, 'running');
    const candidate = await registry.get('recon', 'v1');
    assert.equal(candidate.status, 'rejected');
    assert.match(candidate.note ?? '', /interrupted during the evaluate phase/);
    assert.deepEqual(await jobHistory(store()).recover('recon'), [], 'nothing left to recover');
  });
});
