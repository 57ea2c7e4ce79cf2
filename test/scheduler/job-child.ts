/**
 * Child process for the cross-process tests: runs one training job in the project folder
 * given as argv[2]. With argv[3] = a phase name it kills itself with SIGKILL when that phase
 * starts (a crash at exactly that point); with argv[3] = 'hold-lock' it takes the persona's
 * training lock, prints "locked" and waits to be killed.
 */
import { acquireLock } from '../../src/scheduler/training-lock.ts';
import { runTrainingJob } from '../../src/scheduler/job.ts';
import { openProject, PERSONA } from './job-fixture.ts';

const [root, mode] = process.argv.slice(2);
const project = await openProject(root);
if (mode === 'hold-lock') {
  await acquireLock(project.store, `lock:train:${PERSONA}`);
  console.log('locked');
  setInterval(() => {}, 1000);
} else {
  const record = await runTrainingJob(
    {
      ...project.deps,
      onPhase: (_persona, phase) => {
        console.log(`phase ${phase}`);
        if (phase === mode) process.kill(process.pid, 'SIGKILL');
      },
    },
    PERSONA,
    { reason: 'manual', force: true },
  );
  console.log(`status ${record.status}`);
  await project.engine.dispose();
  await project.store.close();
}
