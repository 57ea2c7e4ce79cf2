/**
 * Activation checkpointing and float16 frozen weights change memory, not training: for a
 * tiny model of every supported architecture (test/fixtures/tiny-model-folder.ts shapes),
 * four SGD steps (lr 0.1) of LoRA (with dropout) give
 *   - with each layer recomputed in the backward: the same losses to 1e-6 (the recompute
 *     runs the same kernels on the same values; measured identical), and
 *   - with the recompute and the frozen matrices held as float16: the losses of the
 *     float32 run to 1e-2 (the base's weights rounded to float16; measured ≤ 1e-5 for the
 *     Llama, Mistral and Qwen families, 7e-3 for Gemma 3, whose √d embedding scale and
 *     soft-caps amplify the rounding over the steps),
 * full fine-tuning with checkpointing matches too, and the checkpointed training graph
 * really holds a second forward (its node count grows and reads the runtime zero input).
 * A resumed run stays exact because a step depends only on (params, batch, draw): two
 * fresh sessions given the same inputs return bit-identical losses and gradients.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TINY_ARCHITECTURES, type TinyArchitecture } from '../fixtures/tiny-model-folder.ts';
import { tinyConfig } from '../modelfmt/onnx/tiny-model.ts';
import { llamaParameterShapes, type LlamaConfig } from '../../src/modelfmt/hf-config.ts';
import { narrowedNames, narrowInPlace } from '../../src/training/frozen-weights.ts';
import { CHECKPOINT_ZERO } from '../../src/training/graph/activation-checkpoint.ts';
import { emitOnnx } from '../../src/training/graph/emit.ts';
import {
  buildTrainIR,
  createStepModel,
  initLlamaParams,
  initLoraParams,
  type Params,
  type StepModelOptions,
  type TokenBatch,
} from '../../src/training/step-model.ts';

const lora = { r: 4, alpha: 8, dropout: 0.1, targetModules: ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'] };
const [B, SEQ] = [2, 16];

/** 64 positions for every family (llama-dynamic's 8 would refuse 16-token rows). */
const configOf = (architecture: TinyArchitecture | 'llama'): LlamaConfig =>
  tinyConfig({ vocab_size: 64, intermediate_size: 48, ...(architecture === 'llama' ? {} : TINY_ARCHITECTURES[architecture]), max_position_embeddings: 64 });

function batch(vocab: number): TokenBatch {
  const ids = BigInt64Array.from({ length: B * SEQ }, (_, i) => BigInt((i * 7 + 3) % vocab));
  return { inputIds: ids, labels: ids, batchSize: B, seqLen: SEQ };
}

/** Four SGD steps (LoRA with dropout, or full) from the same start; the loss of each. */
async function lossCurve(config: LlamaConfig, options: Pick<StepModelOptions, 'method' | 'checkpoint' | 'frozenDtype'>): Promise<number[]> {
  const model = await createStepModel(config, { ...options, lora, batchSize: B, seqLen: SEQ, threads: 1, seed: 9 });
  const base = initLlamaParams(config, 3);
  const full = options.method === 'full';
  const trainable: Params = full ? base : initLoraParams(config, lora, 5);
  const frozen = full ? new Map() : narrowInPlace(base, narrowedNames(llamaParameterShapes(config), options.frozenDtype ?? 'float32'));
  const losses: number[] = [];
  for (let step = 0; step < 4; step++) {
    const { loss, grads } = await model.step(batch(config.vocab_size), frozen, trainable, step);
    losses.push(loss);
    for (const [name, p] of trainable) {
      const g = grads.get(name)!;
      for (let j = 0; j < p.length; j++) p[j] -= (full ? 0.2 : 0.1) * g[j];
    }
  }
  await model.dispose();
  return losses;
}

const close = (a: number[], b: number[], tolerance: number, label: string) => {
  for (const [i, loss] of a.entries()) assert.ok(Math.abs(loss - b[i]) <= tolerance, `${label}, step ${i}: ${loss} vs ${b[i]} (tolerance ${tolerance})`);
};

for (const architecture of ['llama', ...Object.keys(TINY_ARCHITECTURES)] as (TinyArchitecture | 'llama')[]) {
  test(`${architecture}: LoRA with layers recomputed, and with a float16 base, follows the same loss curve`, async () => {
    const config = configOf(architecture);
    const reference = await lossCurve(config, { method: 'lora' });
    assert.ok(reference[3] < reference[0], `the adapters learn: ${reference}`);
    close(await lossCurve(config, { method: 'lora', checkpoint: true }), reference, 1e-6, `${architecture} checkpointed`);
    close(await lossCurve(config, { method: 'lora', checkpoint: true, frozenDtype: 'float16' }), reference, 1e-2, `${architecture} checkpointed, float16 base`);
  });
}

test('full fine-tuning with layers recomputed follows the same loss curve (llama, gemma3_text)', async () => {
  for (const architecture of ['llama', 'gemma3_text'] as const) {
    const config = configOf(architecture);
    close(await lossCurve(config, { method: 'full', checkpoint: true }), await lossCurve(config, { method: 'full' }), 1e-6, architecture);
  }
});

test('the checkpointed graph holds a second forward that reads the runtime zero', () => {
  const config = configOf('llama');
  const emitted = (checkpoint: boolean) => {
    const { graph, outputs } = buildTrainIR(config, { method: 'lora', lora, batchSize: B, seqLen: SEQ, dropout: true, checkpoint });
    return emitOnnx(graph, outputs);
  };
  const [plain, recomputed] = [emitted(false), emitted(true)];
  assert.ok(!plain.inputs.includes(CHECKPOINT_ZERO));
  assert.ok(recomputed.inputs.includes(CHECKPOINT_ZERO));
  assert.ok(recomputed.nodeCount > plain.nodeCount * 1.2, `${recomputed.nodeCount} nodes vs ${plain.nodeCount}`);
});

test('fresh checkpointed sessions give bit-identical steps (what exact resume rests on)', async () => {
  const config = configOf('qwen2');
  const run = async () => {
    const model = await createStepModel(config, { method: 'lora', lora, batchSize: B, seqLen: SEQ, threads: 1, seed: 9, checkpoint: true });
    const out = await model.step(batch(config.vocab_size), initLlamaParams(config, 3), initLoraParams(config, lora, 5), 3);
    await model.dispose();
    return out;
  };
  const [a, b] = [await run(), await run()];
  assert.equal(a.loss, b.loss);
  for (const [name, g] of a.grads) assert.deepEqual(g, b.grads.get(name), name);
});
