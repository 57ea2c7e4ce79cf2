/**
 * Child process for the shared-queue test: a trainer worker on the project folder argv[2] and
 * the Redis at argv[3] that kills itself with SIGKILL when its job reaches phase argv[4], or
 * with argv[4] = 'checkpoint' right after training wrote its first step checkpoint.
 */
import { loadConfig } from '../../src/config/config.ts';
import { openCore } from '../../src/app/core.ts';
import { startTrainingWorker } from '../../src/scheduler/bullmq-queue.ts';

const [root, redisUrl, killAtPhase] = process.argv.slice(2);
const config = loadConfig({
  root,
  env: { ORT_THREADS: '1', LOG_LEVEL: 'silent', STORE_URL: redisUrl, TRAINING_JOB_LOCK_MS: '2000', TRAINING_CHECKPOINT_STEPS: '2' },
});
const core = await openCore(config);
startTrainingWorker(
  {
    config,
    store: core.store,
    registry: core.registry,
    engine: core.engine,
    onPhase: (_persona, phase) => {
      console.log(`phase ${phase}`);
      if (phase === killAtPhase) process.kill(process.pid, 'SIGKILL');
    },
    onTrainingEvent: (_persona, event) => {
      if (event.type !== 'checkpoint' || killAtPhase !== 'checkpoint') return;
      console.log(`checkpoint at step ${event.step}`);
      process.kill(process.pid, 'SIGKILL');
    },
  },
  { url: redisUrl, lockMs: 2000, concurrency: 1 },
);
