/**
 * The real training service behind the bots' train commands (SchedulerTraining over the
 * real TrainingScheduler, as `persona serve` wires them) over a project folder whose LoRA
 * personas have a tiny base model, with a queue that records what would run instead of
 * training: the tests check what reaches the queue (a job), not the training itself
 * (test/cli/rough-edges.test.ts trains at a given rank). `TOO_BIG` is a persona whose file
 * asks for a run no machine can hold (the batch size `persona train`'s memory test uses).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { PersonaFiles, SchedulerTraining } from '../../src/app/chat-services.ts';
import { loadConfig } from '../../src/config/config.ts';
import { ManualCronDriver } from '../../src/scheduler/cron.ts';
import type { TrainingJobQueue } from '../../src/scheduler/job-queue.ts';
import type { JobOptions } from '../../src/scheduler/job.ts';
import { TrainingScheduler } from '../../src/scheduler/scheduler.ts';
import type { ModelRegistry } from '../../src/registry/registry.ts';
import { openStore } from '../../src/store/index.ts';
import { writeTinyModelFolder } from '../fixtures/tiny-model-folder.ts';

export interface BotTrainingProject {
  training: SchedulerTraining;
  /** Where the project's persona files are (a bot harness with its own folder copies them from here). */
  personasDir: string;
  /** Every run queued, in order: what would become a job. */
  queued: Array<{ persona: string; options: JobOptions }>;
  close(): Promise<void>;
}

/** A persona id whose file sets `training.batch_size` far beyond any machine's memory. */
export const TOO_BIG = 'huge';

/** A project with one LoRA persona per id (rank 16 in its file), each on a tiny base model. */
export async function botTrainingProject(ids: string[]): Promise<BotTrainingProject> {
  const root = mkdtempSync(join(tmpdir(), 'bot-training-'));
  mkdirSync(join(root, 'personas'));
  const base = writeTinyModelFolder({ flavour: 'base' });
  for (const id of ids) {
    const batch = id === TOO_BIG ? { batch_size: 100_000_000 } : {};
    const persona = { id, name: id.toUpperCase(), base: base.dir, training: { method: 'lora', lora: { r: 16 }, ...batch } };
    writeFileSync(join(root, 'personas', `${id}.yaml`), stringify(persona));
  }
  const config = loadConfig({ root, env: { LOG_LEVEL: 'silent' } });
  const store = await openStore('sqlite::memory:');
  const queued: BotTrainingProject['queued'] = [];
  // Never settles: the command answers as soon as the run is queued, not when it ends.
  const queue: TrainingJobQueue = {
    status: { waiting: [], running: [] },
    enqueue: (persona, options) => {
      queued.push({ persona, options });
      return new Promise(() => {});
    },
    close: async () => {},
  };
  const registry = { champion: async () => null };
  const scheduler = new TrainingScheduler({ config, store, registry: registry as unknown as ModelRegistry }, new ManualCronDriver(new Date()), queue, {
    trainsHere: true,
  });
  const training = new SchedulerTraining(new PersonaFiles(config.PERSONAS_DIR), scheduler, registry, store);
  return {
    training,
    personasDir: config.PERSONAS_DIR,
    queued,
    async close() {
      await store.close();
      rmSync(root, { recursive: true, force: true });
      rmSync(base.dir, { recursive: true, force: true });
    },
  };
}
