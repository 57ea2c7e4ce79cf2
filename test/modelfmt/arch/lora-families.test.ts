/**
 * LoRA on every family: the adapter targets the family's Linear weights only (biases and
 * norms stay frozen), a few steps lower the loss, the merged weights compute what base +
 * adapter computed, and their ONNX export gives the HF reference's logits for the merged
 * model (1e-4).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DecoderSession } from '../../../src/inference/ort.ts';
import { exportInferenceOnnx } from '../../../src/modelfmt/onnx/onnx-export.ts';
import { createStepModel, initLoraParams } from '../../../src/training/step-model.ts';
import { rowsToBatch } from '../../../src/training/trainer/batches.ts';
import { mergeLora } from '../../../src/training/trainer/lora-merge.ts';
import { Rng } from '../../../src/util/random.ts';
import { TINY_ARCHITECTURES, type TinyArchitecture } from '../../fixtures/tiny-model-folder.ts';
import { randomWeights, tinyConfig } from '../onnx/tiny-model.ts';
import { hfReferenceLogits } from './hf-reference.ts';

const LORA = { r: 4, alpha: 8, dropout: 0, targetModules: ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'] };
const SEQ = 8;

for (const arch of Object.keys(TINY_ARCHITECTURES) as TinyArchitecture[]) {
  test(`${arch}: LoRA trains, merges into the base and exports the merged model`, async () => {
    const config = tinyConfig(TINY_ARCHITECTURES[arch]);
    const base = randomWeights(config, 6, 0.1);
    const adapter = initLoraParams(config, LORA, 2);
    const rng = new Rng(5);
    const rows = [0, 1].map(() => ({
      ids: Int32Array.from({ length: SEQ }, () => rng.int(config.vocab_size)),
      targets: new Uint8Array(SEQ).fill(1),
      used: SEQ,
    }));
    const batch = rowsToBatch(rows, 2, SEQ, 0);

    const model = await createStepModel(config, { method: 'lora', lora: LORA, batchSize: 2, seqLen: SEQ, threads: 1 });
    const full = await createStepModel(config, { method: 'full', batchSize: 2, seqLen: SEQ, threads: 1 });
    try {
      const names = [...model.trainableShapes.keys()];
      assert.ok(names.length > 0 && names.every((n) => /\.lora_[AB]\.weight$/.test(n)), 'only adapter matrices train');
      assert.ok(!names.some((n) => n.includes('.bias') || n.includes('norm')), 'biases and norms stay frozen');
      const losses: number[] = [];
      for (let step = 0; step < 4; step++) {
        const { loss, grads } = await model.step(batch, base, adapter);
        losses.push(loss);
        for (const [name, g] of grads) {
          const p = adapter.get(name)!;
          for (let i = 0; i < p.length; i++) p[i] -= 0.5 * g[i];
        }
      }
      assert.ok(losses[3] < losses[0] - 1e-3, `loss ${losses.map((l) => l.toFixed(4)).join(' → ')}`);

      const merged = mergeLora(config, base, adapter, LORA);
      const viaAdapter = await model.evalLoss(batch, base, adapter);
      const viaMerge = await full.evalLoss(batch, new Map(), merged);
      assert.ok(Math.abs(viaAdapter.loss - viaMerge.loss) < 1e-5, `adapter ${viaAdapter.loss} vs merged ${viaMerge.loss}`);

      const ids = Array.from(rows[0].ids);
      const shape = { layers: config.num_hidden_layers, kvHeads: config.num_key_value_heads, headDim: config.head_dim, vocabSize: config.vocab_size };
      const session = await DecoderSession.load(exportInferenceOnnx(config, merged), shape, { threads: 1 });
      const exported = await session.scoreAll(ids);
      await session.release();
      const reference = hfReferenceLogits(config, merged, ids).flatMap((r) => [...r]);
      const max = reference.reduce((m, v, i) => Math.max(m, Math.abs(v - exported[i])), 0);
      assert.ok(max < 1e-4, `merged export vs HF reference: max |Δ| ${max}`);
    } finally {
      await model.dispose();
      await full.dispose();
    }
  });
}
