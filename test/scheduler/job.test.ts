import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { runTrainingJob } from '../../src/scheduler/job.ts';
import { jobHistory } from '../../src/scheduler/history.ts';
import { approveSamples, makeProject, openProject, PERSONA } from './job-fixture.ts';

const CHILD = join(import.meta.dirname, 'job-child.ts');

test('a job trains, beats the base and is promoted; with nothing new the next one is skipped', async () => {
  const root = makeProject(4);
  const { store, registry, engine, deps } = await openProject(root);
  await approveSamples(store, 12);
  const first = await runTrainingJob(deps, PERSONA, { reason: 'schedule' });
  assert.equal(first.status, 'promoted', first.message ?? '');
  assert.match(first.message!, /beats the base model/);
  assert.ok(first.metrics.validation_loss_after < first.metrics.validation_loss_before);
  const champion = await registry.champion(PERSONA);
  assert.equal(champion?.version, first.version);
  await engine.verifyModelFolder(champion!.dir);

  const second = await runTrainingJob(deps, PERSONA, { reason: 'schedule' });
  assert.equal(second.status, 'skipped');
  assert.match(second.message!, /only 0 new approved samples/);
  assert.deepEqual(
    (await jobHistory(store).list(PERSONA)).map((j) => j.status),
    ['skipped', 'promoted'],
  );
  await engine.dispose();
  await store.close();
});

test('a candidate that does not beat the champion is kept out, and the champion stays', async () => {
  const root = makeProject(0);
  const { store, registry, engine, deps } = await openProject(root);
  await approveSamples(store, 12);
  const first = await runTrainingJob(deps, PERSONA, { reason: 'manual' });
  assert.equal(first.status, 'promoted', first.message ?? '');
  await approveSamples(store, 2, 100);
  const second = await runTrainingJob(deps, PERSONA, { reason: 'manual', overrides: { maxSteps: 1, learningRate: 1e-9 } });
  assert.equal(second.status, 'kept', second.message ?? '');
  assert.match(second.message!, /does not beat champion/);
  assert.equal((await registry.champion(PERSONA))?.version, first.version);
  assert.equal((await registry.get(PERSONA, second.version!)).status, 'rejected');
  await engine.dispose();
  await store.close();
});

test('two processes never train the same persona at once', async () => {
  const root = makeProject(0);
  const { store, engine, deps } = await openProject(root);
  await approveSamples(store, 6);
  const holder = spawn(process.execPath, ['--import', 'tsx', CHILD, root, 'hold-lock'], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    await new Promise<void>((resolve, reject) => {
      holder.stdout.on('data', (chunk) => String(chunk).includes('locked') && resolve());
      holder.on('exit', () => reject(new Error('lock holder exited early')));
    });
    const record = await runTrainingJob(deps, PERSONA, { reason: 'manual', force: true });
    assert.equal(record.status, 'skipped');
    assert.match(record.message!, /another process is training/);
  } finally {
    holder.kill('SIGKILL');
  }
  await new Promise((resolve) => holder.once('exit', resolve));
  const after = await runTrainingJob(deps, PERSONA, { reason: 'manual', force: true, overrides: { maxSteps: 2 } });
  assert.notEqual(after.status, 'skipped', 'a dead holder on this host no longer blocks training');
  await engine.dispose();
  await store.close();
});

for (const phase of ['train', 'evaluate', 'promote']) {
  test(`SIGKILL during ${phase}: the champion still loads, the registry is consistent, the next run works`, async () => {
    const root = makeProject(0);
    let project = await openProject(root);
    await approveSamples(project.store, 10);
    const first = await runTrainingJob(project.deps, PERSONA, { reason: 'manual', overrides: { maxSteps: 6 } });
    assert.equal(first.status, 'promoted', first.message ?? '');
    await approveSamples(project.store, 4, 50);
    await project.engine.dispose();
    await project.store.close();

    const child = spawnSync(process.execPath, ['--import', 'tsx', CHILD, root, phase], { encoding: 'utf8', timeout: 120_000 });
    assert.equal(child.signal, 'SIGKILL', `child ${child.stdout} ${child.stderr}`);
    assert.match(child.stdout, new RegExp(`phase ${phase}`));

    project = await openProject(root);
    const { registry, store, engine } = project;
    await registry.recover(PERSONA);
    const interrupted = await jobHistory(store).recover(PERSONA);
    assert.equal(interrupted.length, 1);
    assert.match(interrupted[0].message!, new RegExp(`during the ${phase} phase`));
    const champion = await registry.champion(PERSONA);
    assert.equal(champion?.version, first.version);
    await engine.verifyModelFolder(champion!.dir);
    for (const record of await registry.list(PERSONA)) assert.ok(existsSync(record.dir), `${record.version} has its folder`);

    const next = await runTrainingJob(project.deps, PERSONA, { reason: 'manual', force: true, overrides: { maxSteps: 6 } });
    assert.ok(['promoted', 'kept'].includes(next.status), `${next.status}: ${next.message}`);
    await engine.dispose();
    await store.close();
  });
}
