/**
 * Cancelling training from another process (`persona jobs cancel`): the run stops after its
 * current step, keeps its checkpoint, writes no version, and its record says who cancelled;
 * a run cancelled while queued ends without training; with nothing running the command says so.
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { cancelTraining } from '../../src/scheduler/cancel.ts';
import { runTrainingJob } from '../../src/scheduler/job.ts';
import { approveSamples, makeProject, openProject, PERSONA } from '../scheduler/job-fixture.ts';
import { runCli } from '../personas/cli-helper.ts';

it('persona jobs cancel stops a running training: checkpoint kept, no version, record says who', { timeout: 240_000 }, async () => {
  const root = makeProject(0);
  // No early stopping, and (below) endless epochs: the run cannot end by itself while the CLI starts.
  const file = join(root, 'personas', `${PERSONA}.yaml`);
  const persona = parse(readFileSync(file, 'utf8'));
  writeFileSync(file, stringify({ ...persona, training: { ...persona.training, early_stopping_patience: 0 } }));
  const { store, registry, engine, deps, config } = await openProject(root);
  await approveSamples(store, 10);
  let steps = 0;
  let firstStep!: () => void;
  const started = new Promise<void>((resolve) => (firstStep = resolve));
  const job = runTrainingJob({ ...deps, onTrainingEvent: (_p, event) => event.type === 'step' && ++steps && firstStep() }, PERSONA, {
    reason: 'manual',
    force: true,
    overrides: { maxSteps: 1_000_000, epochs: 100_000 },
  });
  await started;
  const cancel = await runCli(root, ['jobs', 'cancel', PERSONA]);
  const record = await job;

  assert.equal(cancel.code, 0, cancel.stderr);
  assert.match(cancel.stdout, /cancel requested for job .* \(train phase\)/);
  assert.match(cancel.stdout, /interrupted — cancelled by .* \(CLI\) at step \d+; the checkpoint is kept/);
  assert.equal(record.status, 'interrupted');
  assert.ok(steps < 1_000_000);
  assert.ok(existsSync(join(config.DATA_DIR, 'checkpoints', PERSONA, 'checkpoint.json')), 'checkpoint kept');
  assert.deepEqual(await registry.list(PERSONA), [], 'no version written');

  const nothing = await runCli(root, ['jobs', 'cancel', PERSONA]);
  assert.equal(nothing.code, 1);
  assert.match(nothing.stderr, /Nothing to cancel: no training of tiny is running or queued/);

  // Cancelled while waiting in a queue: the run ends before training, and the flag is used up.
  assert.deepEqual(await cancelTraining(store, PERSONA, 'ada (studio)', true), { requested: true, job: undefined });
  const queued = await runTrainingJob(deps, PERSONA, { reason: 'studio', force: true, overrides: { maxSteps: 1 } });
  assert.deepEqual([queued.status, queued.message], ['skipped', 'cancelled by ada (studio) before training started']);
  const next = await runTrainingJob(deps, PERSONA, { reason: 'manual', force: true, overrides: { maxSteps: 2 } });
  assert.notEqual(next.status, 'skipped');
  await engine.dispose();
  await store.close();
});
