/**
 * The memory plan of a persona's next training run, from its files alone (config.json of
 * its base and the resolved training settings), for `persona train` to print and check
 * before a job starts; trainPersona checks the same plan before it loads the base.
 */
import type { Config } from '../../config/config.js';
import { readLlamaConfig } from '../../modelfmt/hf-config.js';
import type { Persona } from '../../personas/schema.js';
import { checkMemoryFits, frozenDtypeFor, machineMemory, planTrainingMemory, type MemoryPlan } from '../memory-plan.js';
import { resolveTraining, type TrainingOverrides } from './settings.js';
import { baseModelDir } from './train-persona.js';

export function personaMemoryPlan(config: Config, persona: Persona, overrides: TrainingOverrides = {}): { plan: MemoryPlan; check(): void } {
  const modelConfig = readLlamaConfig(baseModelDir(config, persona));
  const { method, hyper, lora } = resolveTraining(persona, overrides);
  const run = { config: modelConfig, method, lora, batchSize: hyper.batchSize, seqLen: hyper.seqLen };
  const plan = planTrainingMemory({ ...run, frozenDtype: frozenDtypeFor(run, machineMemory().totalBytes) });
  return { plan, check: () => checkMemoryFits(plan, machineMemory(), { method, batchSize: hyper.batchSize, seqLen: hyper.seqLen }) };
}
