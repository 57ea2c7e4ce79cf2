/**
 * The StepModel contract as the trainer uses it (float32, ONNX Runtime's full optimizer):
 * a tiny model overfits a few sentences with a plain AdamW loop, the chunked training loss
 * equals the cross-entropy of the logits graph, fresh LoRA adapters leave the loss
 * unchanged, dropout only affects training steps and its masks depend on (seed, draw)
 * alone, and bad input fails naming the field.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseLlamaConfig } from '../../src/modelfmt/hf-config.ts';
import { createStepModel, forwardLogits, initLlamaParams, initLoraParams, type Params, type TokenBatch } from '../../src/training/step-model.ts';
import { LoraDropoutMasks } from '../../src/training/lora-adapters.ts';
import { StreamRng } from '../../src/util/random.ts';

const config = parseLlamaConfig({
  vocab_size: 32,
  hidden_size: 32,
  intermediate_size: 64,
  num_hidden_layers: 2,
  num_attention_heads: 4,
  num_key_value_heads: 2,
  tie_word_embeddings: true,
  max_position_embeddings: 64,
});
const SENTENCES = ['the cat sat on the mat', 'a dog ran in the park', 'hello there my friend'];
const SEQ = 24;
const ALPHABET = ' abcdefghijklmnopqrstuvwxyz';

function sentenceBatch(): TokenBatch {
  const inputIds = new BigInt64Array(SENTENCES.length * SEQ);
  const labels = new BigInt64Array(SENTENCES.length * SEQ).fill(-100n);
  SENTENCES.forEach((s, b) => {
    [...s].forEach((ch, t) => {
      inputIds[b * SEQ + t] = BigInt(ALPHABET.indexOf(ch) + 1);
      labels[b * SEQ + t] = BigInt(ALPHABET.indexOf(ch) + 1);
    });
  });
  return { inputIds, labels, batchSize: SENTENCES.length, seqLen: SEQ };
}

/** Plain AdamW (decoupled weight decay, bias correction), enough for the overfit test. */
function adamw(params: Params, lr: number) {
  const m = new Map([...params].map(([k, v]) => [k, new Float32Array(v.length)]));
  const v = new Map([...params].map(([k, x]) => [k, new Float32Array(x.length)]));
  let t = 0;
  return (grads: Params) => {
    t++;
    for (const [name, p] of params) {
      const g = grads.get(name)!;
      const [mm, vv] = [m.get(name)!, v.get(name)!];
      for (let i = 0; i < p.length; i++) {
        mm[i] = 0.9 * mm[i] + 0.1 * g[i];
        vv[i] = 0.999 * vv[i] + 0.001 * g[i] * g[i];
        p[i] -= lr * (mm[i] / (1 - 0.9 ** t) / (Math.sqrt(vv[i] / (1 - 0.999 ** t)) + 1e-8) + 0.01 * p[i]);
      }
    }
  };
}

test('a tiny Llama overfits a few sentences (loss near zero)', async () => {
  const model = await createStepModel(config, { method: 'full', batchSize: 3, seqLen: SEQ, threads: 1 });
  const params = initLlamaParams(config, 1);
  const update = adamw(params, 1e-2);
  const batch = sentenceBatch();
  let first = NaN;
  let loss = NaN;
  for (let i = 0; i < 150 && !(loss < 0.02); i++) {
    const out = await model.step(batch, new Map(), params);
    if (i === 0) first = out.loss;
    loss = out.loss;
    update(out.grads);
  }
  await model.dispose();
  assert.ok(Math.abs(first - Math.log(32)) < 0.1, `initial loss ${first} should be near ln(32)`);
  assert.ok(loss < 0.05, `loss after training ${loss}`);
});

test('the chunked training loss equals the cross-entropy of forwardLogits', async () => {
  const params = initLlamaParams(config, 2);
  const batch = sentenceBatch();
  const logits = await forwardLogits(config, params, batch.inputIds, batch.batchSize, batch.seqLen);
  let sum = 0;
  let count = 0;
  for (let b = 0; b < batch.batchSize; b++) {
    for (let t = 0; t + 1 < SEQ; t++) {
      const label = Number(batch.labels[b * SEQ + t + 1]);
      if (label === -100) continue;
      const row = logits.subarray((b * SEQ + t) * 32, (b * SEQ + t + 1) * 32);
      const max = Math.max(...row);
      sum += Math.log(row.reduce((s, x) => s + Math.exp(x - max), 0)) + max - row[label];
      count++;
    }
  }
  const model = await createStepModel(config, { method: 'full', batchSize: 3, seqLen: SEQ, lossChunkRows: 20 });
  const evaluated = await model.evalLoss(batch, new Map(), params);
  const stepped = await model.step(batch, new Map(), params);
  await model.dispose();
  assert.equal(evaluated.tokens, count);
  assert.ok(Math.abs(evaluated.loss - sum / count) < 1e-5, `${evaluated.loss} vs ${sum / count}`);
  assert.ok(Math.abs(stepped.loss - evaluated.loss) < 1e-5);
});

test('fresh LoRA adapters leave the loss unchanged; dropout changes only training steps', async () => {
  const lora = { r: 4, alpha: 8, dropout: 0.5, targetModules: ['q_proj', 'v_proj', 'up_proj'] };
  const base = initLlamaParams(config, 3);
  const adapters = initLoraParams(config, lora, 4);
  assert.deepEqual([...adapters.keys()].slice(0, 2), [
    'base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight',
    'base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight',
  ]);
  const full = await createStepModel(config, { method: 'full', batchSize: 3, seqLen: SEQ });
  const withLora = await createStepModel(config, { method: 'lora', lora, batchSize: 3, seqLen: SEQ, seed: 9 });
  assert.deepEqual([...withLora.trainableShapes.values()].slice(0, 2), [
    [4, 32],
    [32, 4],
  ]);
  const batch = sentenceBatch();
  const reference = (await full.evalLoss(batch, new Map(), base)).loss;
  assert.ok(Math.abs((await withLora.evalLoss(batch, base, adapters)).loss - reference) < 1e-6);
  // B = 0: the first step's loss is the base loss even with dropout, but A's gradient is zero and B's is not.
  for (const [k, v] of adapters) if (k.includes('lora_B')) v.fill(0.05);
  const stepLosses = [(await withLora.step(batch, base, adapters)).loss, (await withLora.step(batch, base, adapters)).loss];
  const evalLoss = (await withLora.evalLoss(batch, base, adapters)).loss;
  assert.notEqual(stepLosses[0], evalLoss);
  assert.notEqual(stepLosses[0], stepLosses[1], 'each step draws a new dropout mask');
  // The masks depend on (seed, draw) only: another step model with the same seed repeats draw 1.
  const again = await createStepModel(config, { method: 'lora', lora, batchSize: 3, seqLen: SEQ, seed: 9 });
  assert.equal((await again.step(batch, base, adapters, 1)).loss, stepLosses[1]);
  assert.notEqual((await again.step(batch, base, adapters, 1)).loss, (await again.step(batch, base, adapters, 2)).loss);
  await full.dispose();
  await withLora.dispose();
  await again.dispose();
});

test('LoRA dropout masks: a fraction p dropped, the same for the same (seed, draw) and fresh for another', () => {
  const lora = { r: 4, alpha: 8, dropout: 0.1, targetModules: ['q_proj', 'down_proj'] };
  const masks = (seed: number, draw: number) => new LoraDropoutMasks(config, lora, 300).fill(seed, draw).masks.map((m) => ({ ...m, data: m.data.slice() }));
  const a = masks(1, 7);
  assert.deepEqual(
    a.map((m) => [m.name, m.dims]),
    [
      ['lora_dropout_mask:model.layers.0.self_attn.q_proj.weight', [300, 32]],
      ['lora_dropout_mask:model.layers.0.mlp.down_proj.weight', [300, 64]],
      ['lora_dropout_mask:model.layers.1.self_attn.q_proj.weight', [300, 32]],
      ['lora_dropout_mask:model.layers.1.mlp.down_proj.weight', [300, 64]],
    ],
  );
  const all = a.flatMap((m) => [...m.data]);
  const dropped = all.filter((v) => v === 0).length / all.length;
  assert.ok(Math.abs(dropped - 0.1) < 0.01, `dropped ${dropped}`);
  for (const p of [0.003, 0.6]) {
    const data = new LoraDropoutMasks(config, { ...lora, dropout: p }, 3000).fill(1, 7).masks.flatMap((m) => [...m.data]);
    const fraction = data.filter((v) => v === 0).length / data.length;
    assert.ok(Math.abs(fraction - p) < 5 * Math.sqrt((p * (1 - p)) / data.length), `p ${p}: dropped ${fraction}`);
  }
  assert.deepEqual(masks(1, 7), a);
  assert.notDeepEqual(masks(1, 8)[0].data, a[0].data);
  assert.notDeepEqual(masks(2, 7)[0].data, a[0].data);
});

test('LoRA dropout: every (seed, draw) gets its own random stream (no repeats over thousands of steps)', () => {
  for (const seed of [0, 1, 7, 42]) {
    const starts = new Set<string>();
    for (let draw = 0; draw < 5000; draw++) {
      const rng = new StreamRng(seed, draw);
      starts.add(`${rng.next32()},${rng.next32()}`);
    }
    assert.equal(starts.size, 5000, `seed ${seed}`);
  }
  // Seed 42's draws 142 and 372 produced identical masks with a 32-bit hashed seed.
  const lora = { r: 4, alpha: 8, dropout: 0.1, targetModules: ['q_proj'] };
  const mask = (draw: number) => new LoraDropoutMasks(config, lora, 300).fill(42, draw).masks[0].data.slice();
  assert.notDeepEqual(mask(142), mask(372));
});

test('bad input fails naming the field; a NaN loss is returned to the caller', async () => {
  const model = await createStepModel(config, { method: 'full', batchSize: 3, seqLen: SEQ });
  const params = initLlamaParams(config, 5);
  const batch = sentenceBatch();
  await assert.rejects(model.step({ ...batch, batchSize: 2 }, new Map(), params), /batchSize 3/);
  const short = new Map(params);
  short.set('model.norm.weight', new Float32Array(5));
  await assert.rejects(model.step(batch, new Map(), short), /"model\.norm\.weight" has 5 values, expected \[32\]/);
  short.delete('model.norm.weight');
  await assert.rejects(model.step(batch, new Map(), short), /lack "model\.norm\.weight"/);
  await assert.rejects(model.step({ ...batch, inputIds: batch.inputIds.map(() => 99n) }, new Map(), params), /outside the vocabulary/);
  await assert.rejects(
    createStepModel(config, { method: 'lora', lora: { r: 4, alpha: 8, dropout: 0, targetModules: ['qkv'] }, batchSize: 3, seqLen: SEQ }),
    /lora\.targetModules: "qkv"/,
  );
  params.get('model.norm.weight')!.fill(NaN);
  assert.ok(Number.isNaN((await model.step(batch, new Map(), params)).loss));
  await model.dispose();
});
