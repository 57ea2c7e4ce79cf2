/**
 * The LoRA adapter's unmerged path (x·Wᵀ + s·(x·Aᵀ)·Bᵀ, taken without dropout when merging
 * W + s·B·A would cost more than it saves, as at 0.5–1B with a 512-token micro-batch):
 * with 2 rows of a 32-wide model every module takes it, and its gradients match finite
 * differences like the merged path's (llama-grad.test.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseLlamaConfig } from '../../src/modelfmt/hf-config.ts';
import { Graph } from '../../src/training/graph/ir.ts';
import { buildLlama, llamaLoss } from '../../src/training/llama.ts';
import { initLoraParams } from '../../src/training/lora-adapters.ts';
import type { Feed } from '../../src/training/runtime.ts';
import { initLlamaParams } from '../../src/training/step-model.ts';
import { checkGraph, rng } from './gradcheck.ts';

test('LoRA gradients through the unmerged path match finite differences', async () => {
  const config = parseLlamaConfig({
    vocab_size: 11,
    hidden_size: 32,
    intermediate_size: 48,
    num_hidden_layers: 1,
    num_attention_heads: 4,
    num_key_value_heads: 2,
    tie_word_embeddings: true,
  });
  const lora = { r: 2, alpha: 4, dropout: 0, targetModules: ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'] };
  const g = new Graph('float64');
  const model = buildLlama(g, config, { batchSize: 1, seqLen: 2, method: 'lora', lora, dropout: false });
  // Every module reads rows·(out + in) < out·in (2·(16 + 32) < 16·32 for k/v): unmerged, so no merge Gemm [out, r]·[r, in] is emitted.
  assert.ok(!g.nodes.some((n) => n.op === 'Gemm' && n.inputs[0].shape[1] === lora.r && n.inputs[1].shape[0] === lora.r), 'no merge Gemm');
  const loss = llamaLoss(model, config, 2);
  const random = rng(3);
  const params = new Map([...initLlamaParams(config, 3)].map(([k, v]) => [k, v.map((x) => (k.endsWith('norm.weight') ? 1 + 0.2 * (random() - 0.5) : x * 20))]));
  for (const [k, v] of initLoraParams(config, lora, 4))
    params.set(k, (k.includes('lora_B') ? v.map(() => 0.3 * (random() - 0.5)) : v) as Float32Array<ArrayBuffer>);
  const feeds = new Map<string, Feed>([
    ['input_ids', { dtype: 'int64', dims: [1, 2], data: BigInt64Array.from([3n, 7n]) }],
    ['targets', { dtype: 'int64', dims: [2], data: BigInt64Array.from([7n, -100n]) }],
  ]);
  for (const [name, t] of model.weights) feeds.set(name, { dtype: 'float64', dims: t.shape, data: Float64Array.from(params.get(name)!) });
  const { maxError, scale, worst } = await checkGraph(g, loss, model.trainable, feeds, { samples: 4 });
  assert.ok(maxError <= 1e-6 * Math.max(1, scale), `max error ${maxError} (${worst})`);
});
