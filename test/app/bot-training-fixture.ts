/**
 * The real training service behind the bots' train commands (SchedulerTraining, as
 * `persona serve` wires it) over a project folder whose LoRA persona has a tiny base model,
 * with a scheduler that records what would be queued instead of training: the tests check
 * what reaches the queue (a job), not the training itself (test/cli/rough-edges.test.ts
 * trains at a given rank).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { PersonaFiles, SchedulerTraining } from '../../src/app/chat-services.ts';
import { loadConfig } from '../../src/config/config.ts';
import type { JobOptions } from '../../src/scheduler/job.ts';
import type { TrainingScheduler } from '../../src/scheduler/scheduler.ts';
import { openStore } from '../../src/store/index.ts';
import { writeTinyModelFolder } from '../fixtures/tiny-model-folder.ts';

export interface BotTrainingProject {
  training: SchedulerTraining;
  /** Every run queued, in order: what would become a job. */
  queued: Array<{ persona: string; options: JobOptions }>;
  close(): Promise<void>;
}

/** A project with one LoRA persona per id (rank 16 in its file), each on a tiny base model. */
export async function botTrainingProject(ids: string[]): Promise<BotTrainingProject> {
  const root = mkdtempSync(join(tmpdir(), 'bot-training-'));
  mkdirSync(join(root, 'personas'));
  const base = writeTinyModelFolder({ flavour: 'base' });
  for (const id of ids) {
    const persona = { id, name: id.toUpperCase(), base: base.dir, training: { method: 'lora', lora: { r: 16 } } };
    writeFileSync(join(root, 'personas', `${id}.yaml`), stringify(persona));
  }
  const config = loadConfig({ root, env: { LOG_LEVEL: 'silent' } });
  const store = await openStore('sqlite::memory:');
  const queued: BotTrainingProject['queued'] = [];
  const scheduler: Pick<TrainingScheduler, 'enqueue' | 'status'> = {
    status: { waiting: [], running: [], scheduled: [] },
    // Never settles: the command answers as soon as the run is queued, not when it ends.
    enqueue: (persona, options) => {
      queued.push({ persona, options });
      return new Promise(() => {});
    },
  };
  const registry = { champion: async () => null };
  const training = new SchedulerTraining(new PersonaFiles(config.PERSONAS_DIR), scheduler, registry, store, config);
  return {
    training,
    queued,
    async close() {
      await store.close();
      rmSync(root, { recursive: true, force: true });
      rmSync(base.dir, { recursive: true, force: true });
    },
  };
}
