/**
 * Training jobs on the shared BullMQ queue, against a real redis-server on 127.0.0.1: one job
 * per cron slot however many replicas fire it, several trainer workers sharing personas
 * without running one twice, and a worker killed mid-run whose job another worker finishes.
 */
import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { loadConfig, type Config } from '../../src/config/config.ts';
import { openCore, type Core } from '../../src/app/core.ts';
import { BullJobQueue, startTrainingWorker } from '../../src/scheduler/bullmq-queue.ts';
import { ManualCronDriver } from '../../src/scheduler/cron.ts';
import { jobHistory, type JobRecord } from '../../src/scheduler/history.ts';
import type { JobDeps } from '../../src/scheduler/job.ts';
import { TrainingScheduler } from '../../src/scheduler/scheduler.ts';
import { loadPersona } from '../../src/personas/load.ts';
import { AppEvents } from '../../src/app/process-events.ts';
import { PersonaFolder } from '../../src/app/persona-folder.ts';
import { startTraining } from '../../src/app/training-runner.ts';
import { startRedis, type RedisServer } from '../store/redis-server.ts';
import { approveSamples, makeProject, PERSONA } from './job-fixture.ts';

/**
 * The workers that live: long enough that training's synchronous stretches (and a Redis
 * restart) never let their lock lapse, even on a loaded machine.
 */
const LOCK_MS = 60_000;

function sharedConfig(root: string, redisUrl: string): Config {
  return loadConfig({ root, env: { ORT_THREADS: '1', LOG_LEVEL: 'silent', STORE_URL: redisUrl, TRAINING_JOB_LOCK_MS: String(LOCK_MS) } });
}

/** A project whose personas are copies of the fixture's, scheduled daily at 03:00 UTC. */
function makeSharedProject(ids: string[]): string {
  const root = makeProject(1);
  const template = parse(readFileSync(join(root, 'personas', `${PERSONA}.yaml`), 'utf8'));
  for (const id of ids) {
    writeFileSync(join(root, 'personas', `${id}.yaml`), stringify({ ...template, id, schedule: { cron: '0 3 * * *', timezone: 'UTC' } }));
  }
  return root;
}

function jobDeps(core: Core): JobDeps {
  return { config: core.config, store: core.store, registry: core.registry, engine: core.engine };
}

/**
 * A bots process (following the shared queue, no trainer role) and a trainer worker on
 * `config`'s Redis, with 6 approved samples; `jobs` collects every job record the bots
 * process hears of.
 */
async function botsAndTrainer(config: Config, url: string) {
  const bots = await openCore(config);
  const trainer = await openCore(config);
  await approveSamples(bots.store, 6);
  const events = new AppEvents();
  const jobs: JobRecord[] = [];
  events.on('job', (record) => jobs.push(record));
  const training = startTraining(bots, events, new Set(['bots']), new PersonaFolder(config.PERSONAS_DIR), new AbortController().signal);
  const worker = startTrainingWorker(jobDeps(trainer), { url, lockMs: LOCK_MS, concurrency: 1 });
  return {
    bots,
    jobs,
    training,
    async close() {
      await worker.close();
      await training.stop();
      await trainer.close();
      await bots.close();
    },
  };
}

describe('training jobs on the shared queue (redis-server)', () => {
  let server: RedisServer;
  let databases = 0;
  /** Each test its own Redis database: the store's registry and the queue start empty. */
  let redis: { url: string };
  before(async () => {
    server = await startRedis();
  });
  beforeEach(() => {
    redis = { url: `${server.url}/${++databases}` };
  });
  after(async () => {
    await server?.stop();
  });

  it('makes one job of a cron slot that two scheduler replicas fire', async () => {
    const root = makeSharedProject([PERSONA]);
    const config = sharedConfig(root, redis.url);
    const core = await openCore(config);
    await approveSamples(core.store, 6);
    const persona = loadPersona(config.PERSONAS_DIR, PERSONA);
    const start = new Date('2026-12-04T02:59:30Z');
    const replicas = [0, 1].map(() => {
      const queue = new BullJobQueue({ url: redis.url, lockMs: LOCK_MS });
      const driver = new ManualCronDriver(start);
      const scheduler = new TrainingScheduler(jobDeps(core), driver, queue);
      scheduler.schedule([persona]);
      return { queue, driver, scheduler };
    });
    const finished: JobRecord[] = [];
    const worker = startTrainingWorker(
      { ...jobDeps(core), onJob: (r) => void (r.phase === 'done' && finished.push(r)) },
      { url: redis.url, lockMs: LOCK_MS, concurrency: 1 },
    );
    try {
      for (const { driver } of replicas) driver.advanceTo(new Date('2026-12-04T03:00:10Z'));
      const deadline = Date.now() + 60_000;
      while (finished.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      assert.equal(finished.length, 1, 'the slot ran once');
      const counts = await replicas[0].queue.counts();
      assert.equal(counts.completed, 1);
      assert.equal((counts.waiting ?? 0) + (counts.active ?? 0) + (counts.delayed ?? 0), 0, 'nothing else queued for the slot');
      const history = await jobHistory(core.store).list(PERSONA);
      assert.equal(history.length, 1);
      assert.equal(history[0].reason, 'schedule');
    } finally {
      await worker.close();
      for (const { scheduler } of replicas) await scheduler.stop();
      await core.close();
    }
  });

  it('shares four personas between two trainer workers: each trained once, two at once', async () => {
    const ids = ['ada', 'bea', 'cy', 'dot'];
    const root = makeSharedProject(ids);
    const config = sharedConfig(root, redis.url);
    const cores = [await openCore(config), await openCore(config)];
    for (const [i, id] of ids.entries()) await approveSamples(cores[0].store, 6, i * 10, id);
    let running = 0;
    let mostAtOnce = 0;
    const workers = cores.map((core) =>
      startTrainingWorker(
        {
          ...jobDeps(core),
          onJob: (record) => {
            if (record.phase === 'done') running--;
            else if (record.phase === 'queued') mostAtOnce = Math.max(mostAtOnce, ++running);
          },
        },
        { url: redis.url, lockMs: LOCK_MS, concurrency: 1 },
      ),
    );
    const queue = new BullJobQueue({ url: redis.url, lockMs: LOCK_MS });
    try {
      const records = await Promise.all(ids.map((id) => queue.enqueue(id, { reason: 'manual', force: true })));
      assert.deepEqual(records.map((r) => r.persona).sort(), ids);
      for (const record of records) assert.ok(['promoted', 'kept'].includes(record.status), `${record.persona}: ${record.status} ${record.message}`);
      for (const id of ids) assert.equal((await jobHistory(cores[0].store).list(id)).length, 1, `${id} trained once`);
      assert.equal(mostAtOnce, 2, 'both workers trained at the same time');
    } finally {
      await queue.close();
      for (const worker of workers) await worker.close();
      for (const core of cores) await core.close();
    }
  });

  it('hot-swaps, in a bots process, the champion a trainer process promoted', async () => {
    const config = sharedConfig(makeSharedProject([PERSONA]), redis.url);
    const { bots, jobs, training, close } = await botsAndTrainer(config, redis.url);
    try {
      const record = await training.scheduler.startNow(loadPersona(config.PERSONAS_DIR, PERSONA), { reason: 'studio', force: true }).finished;
      assert.equal(record.status, 'promoted', String(record.message));
      assert.ok(
        jobs.some((j) => j.phase === 'done' && j.status === 'promoted'),
        'the bots process saw the job end through the queue',
      );
      const wanted = `${PERSONA}@${record.version}`;
      const deadline = Date.now() + 20_000;
      while (!bots.engine.loadedModels.includes(wanted) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      assert.ok(bots.engine.loadedModels.includes(wanted), `loaded: ${bots.engine.loadedModels.join(', ')}`);
    } finally {
      await close();
    }
  });

  it('fails at once, not retried, a job its trainer cannot hold in memory (a bots process checks settings only)', async () => {
    const root = makeSharedProject([PERSONA]);
    const file = join(root, 'personas', `${PERSONA}.yaml`);
    const persona = parse(readFileSync(file, 'utf8'));
    writeFileSync(file, stringify({ ...persona, training: { ...persona.training, batch_size: 100_000_000 } }));
    const config = sharedConfig(root, redis.url);
    const { bots, jobs, training, close } = await botsAndTrainer(config, redis.url);
    try {
      // Queued: this bots process is not the trainer, whose memory is the one that counts.
      const { finished } = training.scheduler.startNow(loadPersona(config.PERSONAS_DIR, PERSONA), { reason: 'studio', force: true });
      await assert.rejects(finished, /^Error: This training run needs about .* of memory but .* is available/);
      const counts = await training.shared!.counts();
      assert.deepEqual([counts.failed, counts.delayed, counts.waiting], [1, 0, 0], 'failed once, no retry pending');
      const [record] = await jobHistory(bots.store).list(PERSONA);
      assert.equal(record.status, 'failed');
      assert.match(record.message!, /^This training run needs about/);
      assert.equal(jobs.filter((j) => j.status === 'failed').length, 1, 'one failure reported, not one per attempt');
    } finally {
      await close();
    }
  });

  it('retries on another worker the job of a worker killed mid-training, from its checkpoint', async () => {
    const root = makeSharedProject([PERSONA]);
    const config = loadConfig({
      root,
      env: { ORT_THREADS: '1', LOG_LEVEL: 'silent', STORE_URL: redis.url, TRAINING_JOB_LOCK_MS: String(LOCK_MS), TRAINING_CHECKPOINT_STEPS: '2' },
    });
    const core = await openCore(config);
    await approveSamples(core.store, 6);
    const queue = new BullJobQueue({ url: redis.url, lockMs: LOCK_MS });
    const result = queue.enqueue(PERSONA, { reason: 'manual', force: true });
    // The first worker is a child process (holding jobs for 2 s at a time) that SIGKILLs itself once training wrote its step-2 checkpoint.
    const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'worker-child.ts'), root, redis.url, 'checkpoint'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const [, signal] = await new Promise<[number | null, string | null]>((resolve) => child.once('exit', (code, sig) => resolve([code, sig])));
    assert.equal(signal, 'SIGKILL', output);
    assert.match(output, /checkpoint at step 2/);
    // Looks every second for jobs whose holder stopped renewing; the dead child's lapses 2 s after it died.
    const starts: number[] = [];
    const deps: JobDeps = { ...jobDeps(core), onTrainingEvent: (_persona, event) => void (event.type === 'start' && starts.push(event.resumedFromStep)) };
    const worker = startTrainingWorker(deps, { url: redis.url, lockMs: LOCK_MS, stalledCheckMs: 1000, concurrency: 1 });
    try {
      const record = await result;
      assert.deepEqual(starts, [2], 'the second worker resumed from the step-2 checkpoint of the dead one');
      assert.ok(['promoted', 'kept'].includes(record.status), `${record.status}: ${record.message}`);
      assert.notEqual(record.pid, child.pid, 'finished by the second worker');
      const champion = await core.registry.champion(PERSONA);
      if (record.status === 'promoted') {
        assert.equal(champion?.version, record.version);
        await core.engine.verifyModelFolder(champion!.dir);
      }
    } finally {
      await worker.close();
      await queue.close();
      await core.close();
    }
  });
});

describe('training jobs across a Redis restart (persistent redis-server)', () => {
  it('reconnects: the job in training finishes once, nothing lost or duplicated', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'redis-data-'));
    let server = await startRedis({ dataDir });
    const url = server.url;
    const root = makeSharedProject([PERSONA]);
    const config = sharedConfig(root, url);
    const core = await openCore(config);
    await approveSamples(core.store, 6);
    let restarted: Promise<void> | undefined;
    const worker = startTrainingWorker(
      {
        ...jobDeps(core),
        onPhase: (_persona, phase) => {
          if (phase !== 'train' || restarted) return;
          restarted = (async () => {
            await server.stop();
            server = await startRedis({ port: server.port, dataDir });
          })();
        },
      },
      { url, lockMs: LOCK_MS, concurrency: 1 },
    );
    const queue = new BullJobQueue({ url, lockMs: LOCK_MS });
    try {
      const record = await queue.enqueue(PERSONA, { reason: 'manual', force: true });
      assert.ok(restarted, 'Redis was restarted during the run');
      await restarted;
      assert.ok(['promoted', 'kept'].includes(record.status), `${record.status}: ${record.message}`);
      const history = await jobHistory(core.store).list(PERSONA);
      assert.deepEqual(
        history.map((r) => r.status),
        [record.status],
        'one job, finished once',
      );
      assert.equal((await core.registry.list(PERSONA)).length, 1, 'one version registered');
      const counts = await queue.counts();
      assert.equal(counts.completed, 1);
      assert.equal((counts.failed ?? 0) + (counts.waiting ?? 0) + (counts.active ?? 0), 0);
    } finally {
      await queue.close();
      await worker.close();
      await core.close();
      await server.stop();
    }
  });
});
