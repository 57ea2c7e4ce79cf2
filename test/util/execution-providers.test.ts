/**
 * ORT_EXECUTION_PROVIDERS: a provider the installed onnxruntime-node lacks (this CPU build has
 * no CUDA) falls back to CPU with one warning, for serving and for training sessions alike.
 */
import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { requestedProviders, useExecutionProviders, withProviderFallback } from '../../src/util/execution-providers.ts';
import { loadInferenceModel } from '../../src/inference/loaded-model.ts';
import { writeTinyModelFolder } from '../fixtures/tiny-model-folder.ts';

afterEach(() => useExecutionProviders([]));

test('CPU is the default; cpu alone asks for nothing special', () => {
  assert.equal(requestedProviders(), undefined);
  useExecutionProviders(['CPU']);
  assert.equal(requestedProviders(), undefined);
  useExecutionProviders(['cuda', 'cpu']);
  assert.deepEqual(requestedProviders(), ['cuda', 'cpu']);
});

test('a provider this onnxruntime-node lacks (CUDA in the CPU build) falls back to CPU and the model still serves', async () => {
  useExecutionProviders(['cuda', 'cpu']);
  const attempts: Array<string[] | undefined> = [];
  const folder = writeTinyModelFolder({ flavour: 'serving' });
  const model = await withProviderFallback(async (providers) => {
    attempts.push(providers);
    return loadInferenceModel(folder.dir, { threads: 1 });
  });
  try {
    assert.deepEqual(attempts, [['cuda', 'cpu']], 'the loader itself asked for CUDA and fell back inside');
    assert.ok(model.tokenizer.encode('hello').length > 0);
  } finally {
    await model.dispose();
  }
});
