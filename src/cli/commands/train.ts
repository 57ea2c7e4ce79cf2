/**
 * `persona train <persona>`: the same job as a scheduled retraining, started by hand —
 * fine-tune on the approved dataset, evaluate the new version against the champion (or the
 * base), promote it if it is better (unless --no-promote), and record the job. Flags
 * override the persona file's `training:` section. Ctrl-C checkpoints and stops; running the
 * same command again resumes.
 */
import type { Command } from 'commander';
import { openCore } from '../../app/core.js';
import { PersonaError } from '../../errors.js';
import { loadPersona } from '../../personas/load.js';
import type { JobPhase, JobRecord } from '../../scheduler/history.js';
import { runTrainingJob } from '../../scheduler/job.js';
import { describePlan } from '../../training/memory-plan.js';
import { personaMemoryPlan } from '../../training/trainer/train-persona.js';
import { progressBar } from '../../training/trainer/reporters.js';
import type { TrainingOverrides } from '../../training/trainer/settings.js';
import { action, cliConfig } from '../command-context.js';
import { decimalNumber, wholeNumber } from '../options.js';

interface TrainFlags {
  method?: string;
  epochs?: number;
  maxSteps?: number;
  lr?: number;
  batchSize?: number;
  seqLen?: number;
  optimizer?: string;
  seed?: number;
  loraRank?: number;
  checkpoint?: boolean;
  json?: boolean;
  promote: boolean;
}

/** What `persona train` says when the progress bar is done and a slower phase starts. */
const PHASE_NOTES: Partial<Record<JobPhase, string>> = {
  evaluate: 'evaluating the new version and the incumbent on the held-out samples (validation loss, then sampled replies)…',
  promote: 'applying the gate’s decision…',
};

export function registerTrainCommands(program: Command): void {
  program
    .command('train')
    .description("fine-tune a persona's model on its approved dataset and write a new model version")
    .argument('<persona>', 'persona id')
    .option('--method <method>', 'lora | full (default: the persona file, else lora)')
    .option('--epochs <n>', 'passes over the training data (fractions allowed)', decimalNumber(0, true))
    .option('--max-steps <n>', 'stop after exactly this many optimizer steps (overrides --epochs)', wholeNumber(1))
    .option('--lr <x>', 'peak learning rate (default 1e-3 LoRA / 3e-4 full with AdamW)', decimalNumber(0, true))
    .option('--batch-size <n>', 'rows per step', wholeNumber(1))
    .option('--seq-len <n>', 'tokens per packed row', wholeNumber(8))
    .option('--optimizer <name>', 'adamw | sgd')
    .option('--seed <n>', 'seed for data order and initialisation', wholeNumber())
    .option('--lora-rank <n>', "LoRA rank r (default: the persona file's training.lora.r)", wholeNumber(1))
    .option('--checkpoint', 'recompute each layer in the backward: less memory, about one more forward pass of time (default: when the memory plan needs it)')
    .option('--no-checkpoint', 'never recompute layers')
    .option('--no-promote', 'keep the new version as a candidate even if it beats the champion')
    .option('--json', 'print the job record (training report, evaluation, gate decision) as JSON')
    .action(
      action(async (id: string, flags: TrainFlags) => {
        const config = cliConfig();
        const persona = loadPersona(config.PERSONAS_DIR, id);
        const overrides = toOverrides(flags);
        // The planned peak memory first; a run the machine cannot hold is refused before any job starts.
        const memory = personaMemoryPlan(config, persona, overrides);
        if (!flags.json) process.stderr.write(`${describePlan(memory.plan)}\n`);
        memory.check();
        const core = await openCore(config);
        // Ctrl-C finishes the current step, checkpoints and stops (a second Ctrl-C kills at once).
        const controller = new AbortController();
        const interrupt = () => controller.abort();
        process.once('SIGINT', interrupt);
        process.once('SIGTERM', interrupt); // `kill`, systemd, docker stop: the same checkpoint-and-stop as Ctrl-C
        const bar = flags.json ? undefined : progressBar();
        let record: JobRecord;
        try {
          const onPhase = (_persona: string, phase: JobPhase) => {
            if (phase === 'evaluate') bar?.stop();
            if (!flags.json && PHASE_NOTES[phase]) process.stderr.write(`${PHASE_NOTES[phase]}\n`);
          };
          record = await runTrainingJob(
            { config, store: core.store, registry: core.registry, onTrainingEvent: (_persona, event) => bar?.(event), onPhase },
            persona.id,
            { reason: 'cli', force: true, noPromote: !flags.promote, overrides, signal: controller.signal, whenLocked: 'error' },
          );
        } finally {
          bar?.stop();
          process.off('SIGINT', interrupt);
          process.off('SIGTERM', interrupt);
          await core.close();
        }
        console.log(flags.json ? JSON.stringify(record, null, 2) : summary(record));
      }),
    );
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
    loraRank: flags.loraRank,
    checkpoint: flags.checkpoint,
  };
}

function summary(record: JobRecord): string {
  const report = record.train;
  if (!report) return `${record.persona}: ${record.status} — ${record.message ?? ''}`;
  const m = report.metrics;
  const loss =
    m.initialValidationLoss !== null && m.bestValidationLoss !== null
      ? `validation loss ${m.initialValidationLoss.toFixed(3)} → ${m.bestValidationLoss.toFixed(3)}`
      : `train loss ${m.finalTrainLoss?.toFixed(3)}`;
  const stopped = m.stopReason === 'early_stopping' ? ' (stopped early)' : '';
  return [
    `trained ${report.persona} ${report.version}: ${report.method}, ${m.steps} steps${stopped}, ${loss}, ${Math.round(m.tokensPerSecond)} tokens/s, ${m.elapsedSeconds.toFixed(1)} s`,
    `  ${record.status === 'promoted' ? 'promoted to champion' : 'kept as a candidate'}: ${record.message}`,
    `  ${report.dir}`,
  ].join('\n');
}
