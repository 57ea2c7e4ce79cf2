// End to end on a tiny random Llama folder: trainPersona writes a version folder that lowers the
// validation loss, resumes bit-identically after an interruption, and a divergence writes nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { readSafetensors } from '../../../src/modelfmt/safetensors.ts';
import { isPersonaError } from '../../../src/errors.ts';
import { trainPersona, trainingPaths } from '../../../src/training/trainer/train-persona.ts';
import { trainingProject } from '../../fixtures/training-project.ts';
import type { TrainingData } from '../../../src/datasets/types.ts';
import type { TrainingEvent } from '../../../src/training/trainer/loop.ts';
import { TINY_TEXTS } from '../../fixtures/tiny-model-folder.ts';

const dataset: TrainingData = {
  version: 'ds-test-1',
  train: [
    ...TINY_TEXTS.map((text) => ({ kind: 'monologue' as const, context: [], text, speaker: 'FDR' })),
    {
      kind: 'conversation',
      context: [{ speaker: 'Alice', text: 'How is the weather by the lake today?' }],
      text: 'It rained all week, but the garden is glad of it.',
      speaker: 'FDR',
      weight: 2,
    },
    { kind: 'conversation', context: [{ speaker: 'Alice', text: 'Good morning, friends.' }], text: 'We have nothing to fear but fear itself.', speaker: 'FDR' },
  ],
  validation: [
    { kind: 'monologue', context: [], text: 'We have nothing to fear but fear itself, and the nation will endure.', speaker: 'FDR' },
    {
      kind: 'conversation',
      context: [{ speaker: 'Alice', text: 'How is the garden?' }],
      text: 'It rained all week, but the garden is glad of it.',
      speaker: 'FDR',
    },
  ],
};

test('LoRA run writes a complete version folder and lowers the validation loss', async (t) => {
  const { config, persona } = trainingProject(t, { training: { method: 'lora', learning_rate: 1e-2 } });
  const report = await trainPersona({ config, persona, dataset, version: 'v-lora' });
  assert.equal(report.dir, join(config.DATA_DIR, 'models', 'fdr', 'v-lora'));
  const files = readdirSync(report.dir);
  for (const file of [
    'config.json',
    'generation_config.json',
    'tokenizer.json',
    'tokenizer_config.json',
    'model.safetensors',
    'adapter_config.json',
    'adapter_model.safetensors',
    'training.json',
    'metrics.jsonl',
  ]) {
    assert.ok(files.includes(file), `${file} missing from ${files.join(', ')}`);
  }
  const { initialValidationLoss, bestValidationLoss } = report.metrics;
  assert.ok(bestValidationLoss! < initialValidationLoss! - 0.1, `validation loss ${initialValidationLoss} → ${bestValidationLoss}`);
  const training = JSON.parse(readFileSync(join(report.dir, 'training.json'), 'utf8'));
  assert.equal(training.datasetVersion, 'ds-test-1');
  assert.equal(training.method, 'lora');
  assert.equal(training.hyperparameters.learningRate, 1e-2);
  assert.equal(training.base, config.BASE_MODEL_DIR);
  assert.ok(training.startedAt <= training.finishedAt);
  const adapterKeys = [...readSafetensors(join(report.dir, 'adapter_model.safetensors')).keys()];
  assert.ok(adapterKeys.includes('base_model.model.model.layers.1.mlp.down_proj.lora_B.weight'), adapterKeys.join(', '));
  const checkpointDir = dirname(trainingPaths(config, 'fdr').checkpoint);
  assert.deepEqual(readdirSync(checkpointDir), [], 'the checkpoint, its tensors and the metrics log are removed after success');
});

async function interruptedEqualsStraight(t: { after(fn: () => void): void }, training: Record<string, unknown>, files: string[]) {
  const { config, persona } = trainingProject(t, { training });
  const straight = await trainPersona({ config, persona, dataset, version: 'straight' });

  const controller = new AbortController();
  const onEvent = (event: TrainingEvent) => {
    if (event.type === 'step' && event.step === 3) controller.abort();
  };
  await assert.rejects(trainPersona({ config, persona, dataset, version: 'resumed', signal: controller.signal, onEvent }), (e) =>
    isPersonaError(e, 'training_interrupted'),
  );
  assert.ok(existsSync(trainingPaths(config, 'fdr').checkpoint));
  assert.equal(existsSync(join(config.DATA_DIR, 'models', 'fdr', 'resumed')), false);
  const resumed = await trainPersona({ config, persona, dataset, version: 'resumed' });
  assert.equal(resumed.metrics.resumedFromStep, 3);
  assert.deepEqual(resumed.metrics.evals, straight.metrics.evals);

  for (const file of files) {
    const a = readSafetensors(join(straight.dir, file));
    const b = readSafetensors(join(resumed.dir, file));
    for (const [name, tensor] of a) {
      const other = b.get(name)!.data;
      tensor.data.forEach((x, i) => assert.ok(Math.abs(x - other[i]) <= 1e-6, `${file} ${name}[${i}]: ${x} vs ${other[i]}`));
    }
  }
  return straight;
}

test('interrupted full fine-tuning resumes to the same weights as an uninterrupted run', async (t) => {
  await interruptedEqualsStraight(t, { method: 'full', epochs: 2 }, ['model.safetensors']);
});

test('interrupted LoRA with dropout resumes to the same adapter as an uninterrupted run', async (t) => {
  const straight = await interruptedEqualsStraight(
    t,
    { method: 'lora', epochs: 2, learning_rate: 1e-2, grad_accumulation: 2, lora: { r: 4, alpha: 8, dropout: 0.2 } },
    ['adapter_model.safetensors', 'model.safetensors'],
  );
  assert.equal(straight.lora?.dropout, 0.2);
});

test('a diverging run stops with training_diverged and leaves the previous version untouched', async (t) => {
  const { config, persona } = trainingProject(t, { training: { method: 'full', max_steps: 2 } });
  const previous = await trainPersona({ config, persona, dataset, version: 'previous' });
  const before = readFileSync(join(previous.dir, 'model.safetensors'));
  await assert.rejects(
    trainPersona({ config, persona, dataset, overrides: { optimizer: 'sgd', learningRate: 1e6, maxSteps: 20 }, checkpointEverySteps: 1 }),
    (error) => isPersonaError(error, 'training_diverged'),
  );
  assert.deepEqual(readdirSync(join(config.DATA_DIR, 'models', 'fdr')), ['previous']);
  assert.ok(readFileSync(join(previous.dir, 'model.safetensors')).equals(before));
  assert.equal(existsSync(trainingPaths(config, 'fdr').checkpoint), false);
});

test('the same seed gives identical step losses on the ONNX step model; another seed does not', async (t) => {
  const { config, persona } = trainingProject(t, { training: { method: 'lora', max_steps: 5 } });
  const stepLosses = (dir: string) =>
    readFileSync(join(dir, 'metrics.jsonl'), 'utf8')
      .split('\n')
      .filter((line) => line.includes('"type":"step"'))
      .map((line) => JSON.parse(line).loss as number);
  const a = await trainPersona({ config, persona, dataset, version: 'a' });
  const b = await trainPersona({ config, persona, dataset, version: 'b' });
  const c = await trainPersona({ config, persona, dataset, version: 'c', overrides: { seed: 6 } });
  assert.equal(stepLosses(a.dir).length, 5);
  assert.deepEqual(stepLosses(a.dir), stepLosses(b.dir));
  assert.notDeepEqual(stepLosses(a.dir), stepLosses(c.dir));
});
