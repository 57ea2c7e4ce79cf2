/**
 * The forward graph against a plain-loop reference of Hugging Face's LlamaForCausalLM
 * (modeling_llama.py: RMSNorm, rotate_half RoPE, repeat_kv GQA, causal softmax, SwiGLU,
 * untied lm_head), written independently of the graph code, on a tiny random model.
 * Catches convention slips (rotation halves, head-to-kv mapping, mask direction) that
 * gradient checks cannot see.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseLlamaConfig, type LlamaConfig } from '../../src/modelfmt/hf-config.ts';
import { forwardLogits, initLlamaParams, type Params } from '../../src/training/step-model.ts';

function referenceLogits(c: LlamaConfig, p: Params, ids: number[]): Float64Array {
  const { hidden_size: d, num_attention_heads: H, num_key_value_heads: KV, head_dim: hd, intermediate_size: f, vocab_size: V } = c;
  const _T = ids.length;
  const W = (n: string) => p.get(n)!;
  const linear = (x: number[], w: Float32Array, out: number) => Array.from({ length: out }, (_, o) => x.reduce((s, v, i) => s + v * w[o * x.length + i], 0));
  const norm = (x: number[], w: Float32Array) => {
    const r = 1 / Math.sqrt(x.reduce((s, v) => s + v * v, 0) / x.length + c.rms_norm_eps);
    return x.map((v, i) => v * r * w[i]);
  };
  const rope = (x: number[], pos: number) => {
    const half = hd / 2;
    return x.map((v, i) => {
      const angle = pos / c.rope_theta ** ((2 * (i % half)) / hd);
      const rotated = i < half ? -x[i + half] : x[i - half];
      return v * Math.cos(angle) + rotated * Math.sin(angle);
    });
  };
  let xs = ids.map((id) => Array.from(W('model.embed_tokens.weight').subarray(id * d, (id + 1) * d)));
  for (let l = 0; l < c.num_hidden_layers; l++) {
    const pre = `model.layers.${l}`;
    const hs = xs.map((x) => norm(x, W(`${pre}.input_layernorm.weight`)));
    const qs = hs.map((h, t) =>
      Array.from({ length: H }, (_, j) => rope(linear(h, W(`${pre}.self_attn.q_proj.weight`), H * hd).slice(j * hd, (j + 1) * hd), t)),
    );
    const ks = hs.map((h, t) =>
      Array.from({ length: KV }, (_, j) => rope(linear(h, W(`${pre}.self_attn.k_proj.weight`), KV * hd).slice(j * hd, (j + 1) * hd), t)),
    );
    const vs = hs.map((h) => Array.from({ length: KV }, (_, j) => linear(h, W(`${pre}.self_attn.v_proj.weight`), KV * hd).slice(j * hd, (j + 1) * hd)));
    const attn = qs.map((qt, t) =>
      qt.flatMap((q, j) => {
        const kvh = Math.floor(j / (H / KV)); // repeat_kv
        const scores = ks.slice(0, t + 1).map((k) => q.reduce((s, v, i) => s + v * k[kvh][i], 0) / Math.sqrt(hd));
        const m = Math.max(...scores);
        const e = scores.map((s) => Math.exp(s - m));
        const z = e.reduce((a, b) => a + b, 0);
        return Array.from({ length: hd }, (_, i) => e.reduce((s, w, u) => s + (w / z) * vs[u][kvh][i], 0));
      }),
    );
    xs = xs.map((x, t) => linear(attn[t], W(`${pre}.self_attn.o_proj.weight`), d).map((v, i) => v + x[i]));
    xs = xs.map((x) => {
      const h = norm(x, W(`${pre}.post_attention_layernorm.weight`));
      const gate = linear(h, W(`${pre}.mlp.gate_proj.weight`), f);
      const up = linear(h, W(`${pre}.mlp.up_proj.weight`), f);
      const act = gate.map((g, i) => (g / (1 + Math.exp(-g))) * up[i]);
      return linear(act, W(`${pre}.mlp.down_proj.weight`), d).map((v, i) => v + x[i]);
    });
  }
  return Float64Array.from(xs.flatMap((x) => linear(norm(x, W('model.norm.weight')), W('lm_head.weight'), V)));
}

test('forward logits match a plain-loop reference of HF Llama (GQA, RoPE, blocked causal attention, untied lm_head)', async () => {
  const config = parseLlamaConfig({
    vocab_size: 13,
    hidden_size: 16,
    intermediate_size: 20,
    num_hidden_layers: 2,
    num_attention_heads: 4,
    num_key_value_heads: 2,
    tie_word_embeddings: false,
    rope_theta: 100,
  });
  const params = initLlamaParams(config, 7);
  for (const [name, v] of params) if (!name.endsWith('norm.weight')) v.forEach((x, i) => (v[i] = x * 10));
  for (const [name, v] of params) if (name.endsWith('norm.weight')) v.forEach((_, i) => (v[i] = 0.5 + (i % 5) / 4));
  // 128 positions: the graph computes attention in 2 causal query blocks at this length.
  const ids = Array.from({ length: 128 }, (_, i) => (i * 7 + (i >> 3)) % 13);
  const logits = await forwardLogits(config, params, BigInt64Array.from(ids.map(BigInt)), 1, ids.length);
  const expected = referenceLogits(config, params, ids);
  const maxDiff = Math.max(...expected.map((v, i) => Math.abs(v - logits[i])));
  const scale = Math.max(...expected.map(Math.abs));
  assert.ok(scale > 0.5, `reference logits too small to be telling (${scale})`);
  assert.ok(maxDiff < 1e-4 * scale, `max difference ${maxDiff} (scale ${scale})`);
});
