// A run killed without warning (SIGKILL: no chance to checkpoint) loses at most
// TRAINING_CHECKPOINT_STEPS steps: checkpoints are written by steps, not only every 300 s.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { trainPersona } from '../../../src/training/trainer/train-persona.ts';
import type { TrainingData } from '../../../src/datasets/types.ts';
import { TINY_TEXTS } from '../../fixtures/tiny-model-folder.ts';
import { trainingProject } from '../../fixtures/training-project.ts';

const dataset: TrainingData = {
  version: 'ds-checkpoint-steps',
  train: TINY_TEXTS.map((text) => ({ kind: 'monologue' as const, context: [], text, speaker: 'FDR' })),
  validation: [],
};

test('training checkpoints every TRAINING_CHECKPOINT_STEPS steps without being asked', async (t) => {
  const { config, persona } = trainingProject(t, {
    env: { TRAINING_CHECKPOINT_STEPS: '2' },
    training: { method: 'lora', seq_len: 32, max_steps: 5, seed: 1, lora: { r: 2, alpha: 4 } },
  });
  const saved: number[] = [];
  await trainPersona({ config, persona, dataset, onEvent: (event) => event.type === 'checkpoint' && saved.push(event.step) });
  assert.deepEqual(saved, [2, 4]);
});
