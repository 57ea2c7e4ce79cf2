/**
 * A whole tiny Llama's loss gradients against central finite differences (float64
 * graphs): grouped-query attention, tied and untied lm_head, masked targets (-100) and
 * LoRA adapters (merged path, and per-module paths on dropout-masked inputs), sampled
 * coordinates of every trainable tensor.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseLlamaConfig, type LlamaConfig } from '../../src/modelfmt/hf-config.ts';
import { Graph } from '../../src/training/graph/ir.ts';
import { buildLlama, llamaLoss } from '../../src/training/llama.ts';
import { initLoraParams, LoraDropoutMasks, type LoraOptions } from '../../src/training/lora-adapters.ts';
import { initLlamaParams } from '../../src/training/step-model.ts';
import type { Feed } from '../../src/training/runtime.ts';
import { checkGraph, rng } from './gradcheck.ts';
import { TINY_ARCHITECTURES, type TinyArchitecture } from '../fixtures/tiny-model-folder.ts';

const tiny = (tied: boolean, family: Record<string, unknown> = {}): LlamaConfig =>
  parseLlamaConfig({
    vocab_size: 11,
    hidden_size: 8,
    intermediate_size: 12,
    num_hidden_layers: 2,
    num_attention_heads: 4,
    num_key_value_heads: 2,
    tie_word_embeddings: tied,
    rms_norm_eps: 1e-5,
    ...family,
    head_dim: 4,
  });

const B = 2;
const SEQ = 5;
const IDS = [3, 1, 4, 1, 5, 9, 2, 6, 5, 3];
// Shifted targets as the step model feeds them, with masked positions.
const TARGETS = [1, -100, 1, 5, -100, 2, 6, -100, 3, -100];

async function checkLlama(config: LlamaConfig, lora?: LoraOptions) {
  const g = new Graph('float64');
  const dropout = (lora?.dropout ?? 0) > 0;
  const model = buildLlama(g, config, { batchSize: B, seqLen: SEQ, method: lora ? 'lora' : 'full', lora, dropout, lossChunkRows: 3 });
  const loss = llamaLoss(model, config, 3);
  const random = rng(5);
  // Larger-than-default weights so every path contributes visibly to the loss.
  const params = new Map(
    [...initLlamaParams(config, 3)].map(([k, v]) => [
      k,
      v.map((x) => (k.endsWith('.bias') ? 0.3 * (random() - 0.5) : k.endsWith('norm.weight') ? 1 + 0.2 * (random() - 0.5) : x * 20)),
    ]),
  );
  if (lora)
    for (const [k, v] of initLoraParams(config, lora, 4))
      params.set(k, (k.includes('lora_B') ? v.map(() => 0.3 * (random() - 0.5)) : v) as Float32Array<ArrayBuffer>);
  const feeds = new Map<string, Feed>([
    ['input_ids', { dtype: 'int64', dims: [B, SEQ], data: BigInt64Array.from(IDS.map(BigInt)) }],
    ['targets', { dtype: 'int64', dims: [B * SEQ], data: BigInt64Array.from(TARGETS.map(BigInt)) }],
  ]);
  for (const [name, t] of model.weights) feeds.set(name, { dtype: 'float64', dims: t.shape, data: Float64Array.from(params.get(name)!) });
  if (lora && dropout)
    for (const m of new LoraDropoutMasks(config, lora, B * SEQ).fill(3, 0).masks) feeds.set(m.name, { dtype: 'bool', dims: m.dims, data: m.data });
  return checkGraph(g, loss, model.trainable, feeds, { samples: 4 });
}

const LORA: LoraOptions = { r: 2, alpha: 4, dropout: 0, targetModules: ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'] };

const CASES: [string, LlamaConfig, LoraOptions | undefined][] = [
  ['full fine-tuning, tied embeddings, GQA', tiny(true), undefined],
  ['full fine-tuning, untied lm_head', tiny(false), undefined],
  ['LoRA on every linear module', tiny(true), LORA],
  ['LoRA with dropout masks', tiny(true), { ...LORA, dropout: 0.3 }],
  // Every family's own pieces (biases, q/k norms, Gemma's offset norms, GeGLU, sandwich norms,
  // sliding windows shorter than the sequence, soft-caps, rope_scaling), full and LoRA.
  ...(Object.keys(TINY_ARCHITECTURES) as TinyArchitecture[]).flatMap((arch): [string, LlamaConfig, LoraOptions | undefined][] => [
    [`${arch}, full fine-tuning`, tiny(false, TINY_ARCHITECTURES[arch]), undefined],
    [`${arch}, LoRA`, tiny(true, TINY_ARCHITECTURES[arch]), LORA],
  ]),
];

for (const [name, config, lora] of CASES) {
  test(`tiny model gradients match finite differences: ${name}`, async () => {
    const { maxError, scale, worst } = await checkLlama(config, lora);
    assert.ok(maxError <= 1e-6 * Math.max(1, scale), `max error ${maxError} (${worst})`);
  });
}
