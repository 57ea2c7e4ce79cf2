import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadPersona } from '../../src/personas/load.ts';
import { ManualCronDriver } from '../../src/scheduler/cron.ts';
import { jobHistory } from '../../src/scheduler/history.ts';
import { TrainingScheduler } from '../../src/scheduler/scheduler.ts';
import { approveSamples, makeProject, openProject, PERSONA } from './job-fixture.ts';
import { writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

async function settle(scheduler: TrainingScheduler): Promise<void> {
  for (let i = 0; i < 600 && (scheduler.status.running.length || scheduler.status.waiting.length); i++) await new Promise((r) => setTimeout(r, 100));
}

test('an injected clock drives the persona schedule: trains when data is new, skips when not', async () => {
  const root = makeProject(4);
  const file = join(root, 'personas', `${PERSONA}.yaml`);
  writeFileSync(file, readFileSync(file, 'utf8') + 'schedule:\n  cron: "0 3 * * *"\n  timezone: Europe/Paris\n');
  const { config, store, engine, deps } = await openProject(root);
  const driver = new ManualCronDriver(new Date('2026-11-27T00:00:00Z'));
  const waits: number[] = [];
  const scheduler = new TrainingScheduler({ ...deps, onQueueWait: (seconds) => waits.push(seconds) }, driver);
  scheduler.schedule([loadPersona(config.PERSONAS_DIR, PERSONA)]);
  assert.deepEqual(scheduler.status.scheduled, [PERSONA]);

  driver.advanceTo(new Date('2026-11-27T01:59:00Z'));
  await settle(scheduler);
  assert.equal((await jobHistory(store).list(PERSONA)).length, 0, 'nothing before 03:00 Paris time');

  driver.advanceTo(new Date('2026-11-27T02:00:00Z'));
  await settle(scheduler);
  let jobs = await jobHistory(store).list(PERSONA);
  assert.deepEqual(
    jobs.map((j) => [j.reason, j.status]),
    [['schedule', 'skipped']],
  );
  assert.match(jobs[0].message!, /only 0 new approved samples/);

  await approveSamples(store, 12);
  driver.advanceTo(new Date('2026-11-28T02:00:00Z'));
  await settle(scheduler);
  jobs = await jobHistory(store).list(PERSONA);
  assert.equal(jobs[0].status, 'promoted', jobs[0].message ?? '');
  // Each job's record says when it was queued; the queue reported each one's wait as it started it.
  assert.equal(waits.length, 2);
  for (const [i, job] of jobs.entries()) {
    assert.ok(Date.parse(job.queuedAt!) <= Date.parse(job.startedAt), `${job.queuedAt} → ${job.startedAt}`);
    assert.ok(Date.parse(job.startedAt) - Date.parse(job.queuedAt!) >= Math.round(waits[jobs.length - 1 - i] * 1000), `wait ${waits}`);
  }

  await scheduler.stop();
  await engine.dispose();
  await store.close();
});
