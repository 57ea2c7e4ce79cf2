// The merged model.safetensors computes what the LoRA model computes: the loss of the frozen base +
// adapter graph equals the loss of the full graph on merged weights, for the same batch.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createStepModel, initLoraParams } from '../../../src/training/step-model.ts';
import { mergeLora } from '../../../src/training/trainer/lora-merge.ts';
import { rowsToBatch } from '../../../src/training/trainer/batches.ts';
import { Rng } from '../../../src/util/random.ts';
import { randomWeights, tinyConfig } from '../../modelfmt/onnx/tiny-model.ts';

test('W + (alpha/r)·B·A gives the same loss as the LoRA forward pass', async () => {
  const config = tinyConfig({ tie_word_embeddings: false });
  const lora = { r: 4, alpha: 8, dropout: 0, targetModules: ['q_proj', 'v_proj', 'o_proj', 'gate_proj', 'down_proj'] };
  const base = randomWeights(config, 3, 0.1);
  const adapter = initLoraParams(config, lora, 1);
  const rng = new Rng(9);
  // PEFT initialises B to zero (merge would be trivial): give every adapter tensor random values.
  for (const data of adapter.values()) for (let i = 0; i < data.length; i++) data[i] = (rng.next() - 0.5) * 0.2;

  const seqLen = 16;
  const ids = Int32Array.from({ length: seqLen }, () => rng.int(config.vocab_size));
  const rows = [0, 1].map(() => ({
    ids: Int32Array.from(ids.map((x) => (x + rng.int(7)) % config.vocab_size)),
    targets: new Uint8Array(seqLen).fill(1),
    used: seqLen,
  }));
  const batch = rowsToBatch(rows, 2, seqLen, 0);

  const loraModel = await createStepModel(config, { method: 'lora', lora, batchSize: 2, seqLen, threads: 1 });
  const fullModel = await createStepModel(config, { method: 'full', batchSize: 2, seqLen, threads: 1 });
  try {
    const viaAdapter = await loraModel.evalLoss(batch, base, adapter);
    const viaMerge = await fullModel.evalLoss(batch, new Map(), mergeLora(config, base, adapter, lora));
    const unmerged = await fullModel.evalLoss(batch, new Map(), base);
    assert.equal(viaAdapter.tokens, viaMerge.tokens);
    assert.ok(Math.abs(viaAdapter.loss - unmerged.loss) > 1e-3, 'the adapter changes the model');
    assert.ok(Math.abs(viaAdapter.loss - viaMerge.loss) < 1e-5, `LoRA ${viaAdapter.loss} vs merged ${viaMerge.loss}`);
  } finally {
    await loraModel.dispose();
    await fullModel.dispose();
  }
});
