/**
 * `persona jobs cancel <persona>`: stops the persona's training run wherever it runs (this
 * machine's `persona train`, `persona serve`, a worker sharing the store). The run finishes
 * its current step, keeps a checkpoint and writes no version; this command waits for it.
 */
import { userInfo } from 'node:os';
import type { Command } from 'commander';
import { openCore } from '../../app/core.js';
import { PersonaError } from '../../errors.js';
import { loadPersona } from '../../personas/load.js';
import { cancelTraining } from '../../scheduler/cancel.js';
import { jobHistory } from '../../scheduler/history.js';
import { action, cliConfig } from '../command-context.js';

const WAIT_MS = 120_000;

export function registerJobsCancel(jobs: Command): void {
  jobs
    .command('cancel')
    .description("stop the persona's running training: it checkpoints and writes no version")
    .argument('<persona>', 'persona id')
    .option('--no-wait', 'return once the request is stored')
    .action(
      action(async (id: string, options: { wait: boolean }) => {
        const config = cliConfig();
        const persona = loadPersona(config.PERSONAS_DIR, id);
        const core = await openCore(config);
        try {
          const outcome = await cancelTraining(core.store, persona.id, `${userInfo().username} (CLI)`);
          if (!outcome.requested) throw new PersonaError('invalid_argument', `Nothing to cancel: ${outcome.reason}.`, { persona: persona.id });
          const job = outcome.job!;
          console.log(`cancel requested for job ${job.id} (${job.phase} phase)`);
          if (!options.wait) return;
          const history = jobHistory(core.store);
          const deadline = Date.now() + WAIT_MS;
          while (Date.now() < deadline) {
            const now = (await history.list(persona.id, 5)).find((record) => record.id === job.id);
            if (now && now.status !== 'running') {
              console.log(`job ${job.id}: ${now.status} — ${now.message ?? ''}`);
              return;
            }
            await new Promise((resolve) => setTimeout(resolve, 250));
          }
          console.log(`job ${job.id} has not stopped yet; it will at the end of its current step`);
        } finally {
          await core.close();
        }
      }),
    );
}
