// A run killed without warning (SIGKILL: no chance to checkpoint) loses at most
// TRAINING_CHECKPOINT_STEPS steps: checkpoints are written by steps, not only every 300 s.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../../src/config/config.ts';
import { personaSchema } from '../../../src/personas/schema.ts';
import { trainPersona } from '../../../src/training/trainer/train-persona.ts';
import type { TrainingData } from '../../../src/datasets/types.ts';
import { TINY_TEXTS, writeTinyModelFolder } from '../../fixtures/tiny-model-folder.ts';

const dataset: TrainingData = {
  version: 'ds-checkpoint-steps',
  train: TINY_TEXTS.map((text) => ({ kind: 'monologue' as const, context: [], text, speaker: 'FDR' })),
  validation: [],
};

test('training checkpoints every TRAINING_CHECKPOINT_STEPS steps without being asked', async (t) => {
  const base = writeTinyModelFolder({ flavour: 'base' });
  const root = mkdtempSync(join(tmpdir(), 'checkpoint-steps-'));
  t.after(() => [base.dir, root].forEach((dir) => rmSync(dir, { recursive: true, force: true })));
  const config = loadConfig({ root, env: { DATA_DIR: 'data', BASE_MODEL_DIR: base.dir, ORT_THREADS: '1', TRAINING_CHECKPOINT_STEPS: '2' } });
  const persona = personaSchema.parse({
    id: 'fdr',
    name: 'FDR',
    training: { method: 'lora', batch_size: 2, seq_len: 32, max_steps: 5, seed: 1, lora: { r: 2, alpha: 4 } },
  });
  const saved: number[] = [];
  await trainPersona({ config, persona, dataset, onEvent: (event) => event.type === 'checkpoint' && saved.push(event.step) });
  assert.deepEqual(saved, [2, 4]);
});
