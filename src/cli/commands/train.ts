/**
 * `persona train <persona>`: fine-tune the persona's model on its approved dataset snapshot
 * and write a new model version folder. Flags override the persona file's `training:`
 * section. Ctrl-C checkpoints and stops; running the same command again resumes.
 */
import type { Command } from 'commander';
import { PersonaError } from '../../errors.js';
import { loadPersona } from '../../personas/load.js';
import { loadDatasetSnapshot } from '../../datasets/snapshot.js';
import { acquireLock, lockHolder } from '../../scheduler/lock.js';
import { openStore } from '../../store/index.js';
import type { Config } from '../../config/config.js';
import type { Persona } from '../../personas/schema.js';
import { progressBar } from '../../training/trainer/reporters.js';
import type { TrainingOverrides } from '../../training/trainer/settings.js';
import { trainPersona, type DatasetSnapshot, type TrainReport } from '../../training/trainer/train-persona.js';
import { action, cliConfig } from '../context.js';

interface TrainFlags {
  method?: string;
  epochs?: number;
  maxSteps?: number;
  lr?: number;
  batchSize?: number;
  seqLen?: number;
  optimizer?: string;
  seed?: number;
  json?: boolean;
}

const number = (value: string) => Number(value);

export function registerTrainCommands(program: Command): void {
  program
    .command('train')
    .description("fine-tune a persona's model on its approved dataset and write a new model version")
    .argument('<persona>', 'persona id')
    .option('--method <method>', 'lora | full (default: the persona file, else lora)')
    .option('--epochs <n>', 'passes over the training data', number)
    .option('--max-steps <n>', 'stop after exactly this many optimizer steps (overrides --epochs)', number)
    .option('--lr <x>', 'peak learning rate (default 1e-3 LoRA / 3e-4 full with AdamW)', number)
    .option('--batch-size <n>', 'rows per step', number)
    .option('--seq-len <n>', 'tokens per packed row', number)
    .option('--optimizer <name>', 'adamw | sgd')
    .option('--seed <n>', 'seed for data order and initialisation', number)
    .option('--json', 'print the final report as JSON')
    .action(
      action(async (id: string, flags: TrainFlags) => {
        const config = cliConfig();
        const persona = loadPersona(config.PERSONAS_DIR, id);
        const overrides = toOverrides(flags);
        const store = await openStore(config.storeUrl);
        let report: TrainReport;
        try {
          // The scheduler's lock: `persona serve` never trains this persona at the same time.
          const lock = await acquireLock(store, `lock:train:${persona.id}`);
          if (!lock) {
            const holder = await lockHolder(store, `lock:train:${persona.id}`);
            throw new PersonaError('training_locked', `Persona "${persona.id}" is being trained by another process${holder ? ` (pid ${holder.pid} on ${holder.host} since ${holder.since})` : ''}; try again when it has finished.`, {
              persona: persona.id,
            });
          }
          try {
            report = await trainWithCtrlC(config, persona, await loadDatasetSnapshot(store, persona), overrides, !flags.json);
          } finally {
            await lock.release();
          }
        } finally {
          await store.close();
        }
        console.log(flags.json ? JSON.stringify(report, null, 2) : summary(report));
      }),
    );
}

/** Ctrl-C finishes the current step, checkpoints and stops (a second Ctrl-C kills at once). */
async function trainWithCtrlC(config: Config, persona: Persona, dataset: DatasetSnapshot, overrides: TrainingOverrides, showProgress: boolean): Promise<TrainReport> {
  const controller = new AbortController();
  const interrupt = () => controller.abort();
  process.once('SIGINT', interrupt);
  const bar = showProgress ? progressBar() : undefined;
  try {
    return await trainPersona({ config, persona, dataset, overrides, signal: controller.signal, onEvent: bar });
  } finally {
    bar?.stop();
    process.off('SIGINT', interrupt);
  }
}

function toOverrides(flags: TrainFlags): TrainingOverrides {
  if (flags.method !== undefined && flags.method !== 'lora' && flags.method !== 'full') {
    throw new PersonaError('invalid_argument', `--method must be lora or full, not "${flags.method}".`, { field: 'method' });
  }
  if (flags.optimizer !== undefined && flags.optimizer !== 'adamw' && flags.optimizer !== 'sgd') {
    throw new PersonaError('invalid_argument', `--optimizer must be adamw or sgd, not "${flags.optimizer}".`, { field: 'optimizer' });
  }
  return {
    method: flags.method,
    optimizer: flags.optimizer,
    epochs: flags.epochs,
    maxSteps: flags.maxSteps,
    learningRate: flags.lr,
    batchSize: flags.batchSize,
    seqLen: flags.seqLen,
    seed: flags.seed,
  };
}

function summary(report: TrainReport): string {
  const m = report.metrics;
  const loss = m.initialValidationLoss !== null && m.bestValidationLoss !== null ? `validation loss ${m.initialValidationLoss.toFixed(3)} → ${m.bestValidationLoss.toFixed(3)}` : `train loss ${m.finalTrainLoss?.toFixed(3)}`;
  const stopped = m.stopReason === 'early_stopping' ? ' (stopped early)' : '';
  return [
    `trained ${report.persona} ${report.version}: ${report.method}, ${m.steps} steps${stopped}, ${loss}, ${Math.round(m.tokensPerSecond)} tokens/s, ${m.elapsedSeconds.toFixed(1)} s`,
    `  ${report.dir}`,
  ].join('\n');
}
