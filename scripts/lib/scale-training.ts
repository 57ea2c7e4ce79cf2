/**
 * The training workload of bench:scale: LoRA on an example persona (FDR's State of the Union
 * passages, on the bundled base) that runs until aborted and reports each step's tokens/s.
 * Run in-process (one process does everything) or as its own process (`node --import tsx
 * scripts/lib/scale-training.ts`: a separate trainer), which prints one JSON line per step.
 */
import { fileURLToPath } from 'node:url';
import { loadConfig, type Config } from '../../src/config/config.js';
import { loadDatasetSnapshot } from '../../src/datasets/snapshot.js';
import { isPersonaError } from '../../src/errors.js';
import { loadPersona } from '../../src/personas/load.js';
import { openStore } from '../../src/store/index.js';
import { trainPersona } from '../../src/training/trainer/train-persona.js';

export const SCALE_PERSONA = 'fdr';

/** Trains until `signal` aborts (or 100,000 steps), calling `onStep` with each step's tokens/s. */
export async function trainUntilAborted(config: Config, signal: AbortSignal, onStep: (tokensPerSecond: number) => void): Promise<void> {
  const store = await openStore(config.storeUrl);
  try {
    const persona = loadPersona(config.PERSONAS_DIR, SCALE_PERSONA);
    const dataset = await loadDatasetSnapshot(store, persona);
    await trainPersona({
      config,
      persona,
      dataset,
      overrides: { method: 'lora', maxSteps: 100_000, epochs: 1000 },
      signal,
      onEvent: (event) => {
        if (event.type === 'step') onStep(event.tokensPerSecond);
      },
    });
  } catch (error) {
    if (!isPersonaError(error, 'training_interrupted')) throw error;
  } finally {
    await store.close();
  }
}

// As a child process: train with the environment's configuration until SIGTERM.
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const stop = new AbortController();
  process.once('SIGTERM', () => stop.abort());
  await trainUntilAborted(loadConfig(), stop.signal, (tokensPerSecond) => console.log(JSON.stringify({ tokensPerSecond })));
}
