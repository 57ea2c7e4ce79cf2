/**
 * Test helpers shared by the exporter and inference tests: tiny Llama configs with seeded
 * random weights, and a plain-JavaScript reference forward pass written straight from the
 * Hugging Face modeling_llama equations (float64), to check the ONNX graph against.
 */
import { llamaParameterShapes, parseLlamaConfig, type LlamaConfig } from '../../../src/modelfmt/hf-config.ts';
import { mulberry32 } from '../../../src/util/random.ts';

export function tinyConfig(overrides: Record<string, unknown> = {}): LlamaConfig {
  return parseLlamaConfig({
    model_type: 'llama',
    vocab_size: 300,
    hidden_size: 32,
    intermediate_size: 48,
    num_hidden_layers: 2,
    num_attention_heads: 4,
    num_key_value_heads: 2,
    max_position_embeddings: 256,
    rms_norm_eps: 1e-5,
    rope_theta: 10000,
    tie_word_embeddings: true,
    bos_token_id: 1,
    eos_token_id: 2,
    ...overrides,
  });
}

export function randomWeights(config: LlamaConfig, seed = 1, std = 0.2): Map<string, Float32Array> {
  const rand = mulberry32(seed);
  const weights = new Map<string, Float32Array>();
  for (const [name, shape] of llamaParameterShapes(config)) {
    const n = shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(n);
    const isNorm = name.endsWith('norm.weight');
    for (let i = 0; i < n; i++) data[i] = isNorm ? 1 + (rand() - 0.5) * 0.2 : (rand() * 2 - 1) * std;
    weights.set(name, data);
  }
  return weights;
}

type Matrix = Float64Array[];

function linear(x: Matrix, w: Float32Array, out: number, inp: number): Matrix {
  return x.map((row) => {
    const y = new Float64Array(out);
    for (let o = 0; o < out; o++) {
      let s = 0;
      for (let i = 0; i < inp; i++) s += row[i] * w[o * inp + i];
      y[o] = s;
    }
    return y;
  });
}

function rmsNorm(x: Matrix, w: Float32Array, eps: number): Matrix {
  return x.map((row) => {
    const ms = row.reduce((s, v) => s + v * v, 0) / row.length;
    const inv = 1 / Math.sqrt(ms + eps);
    return row.map((v, i) => v * inv * w[i]);
  });
}

/** Logits [seq, vocab] for one unpadded sequence, positions 0..seq-1. */
export function referenceLogits(config: LlamaConfig, weights: Map<string, Float32Array>, ids: number[]): Float64Array[] {
  const { hidden_size: d, num_attention_heads: H, num_key_value_heads: KV, head_dim: hd, intermediate_size: f, vocab_size: V } = config;
  const W = (n: string) => weights.get(n)!;
  const embed = W('model.embed_tokens.weight');
  let h: Matrix = ids.map((id) => Float64Array.from(embed.subarray(id * d, id * d + d)));
  const invFreq = Array.from({ length: hd / 2 }, (_, i) => 1 / config.rope_theta ** ((2 * i) / hd));
  const rope = (vec: Float64Array, pos: number) => {
    const out = new Float64Array(hd);
    for (let i = 0; i < hd / 2; i++) {
      const c = Math.cos(pos * invFreq[i]);
      const s = Math.sin(pos * invFreq[i]);
      out[i] = vec[i] * c - vec[i + hd / 2] * s;
      out[i + hd / 2] = vec[i + hd / 2] * c + vec[i] * s;
    }
    return out;
  };
  for (let l = 0; l < config.num_hidden_layers; l++) {
    const p = `model.layers.${l}`;
    const x = rmsNorm(h, W(`${p}.input_layernorm.weight`), config.rms_norm_eps);
    const q = linear(x, W(`${p}.self_attn.q_proj.weight`), H * hd, d);
    const k = linear(x, W(`${p}.self_attn.k_proj.weight`), KV * hd, d);
    const v = linear(x, W(`${p}.self_attn.v_proj.weight`), KV * hd, d);
    const attnOut: Matrix = ids.map(() => new Float64Array(H * hd));
    for (let head = 0; head < H; head++) {
      const kvHead = Math.floor(head / (H / KV));
      for (let t = 0; t < ids.length; t++) {
        const qv = rope(q[t].subarray(head * hd, head * hd + hd), t);
        const scores = [];
        for (let j = 0; j <= t; j++) {
          const kv = rope(k[j].subarray(kvHead * hd, kvHead * hd + hd), j);
          scores.push(qv.reduce((s, val, i) => s + val * kv[i], 0) / Math.sqrt(hd));
        }
        const max = Math.max(...scores);
        const exps = scores.map((s) => Math.exp(s - max));
        const sum = exps.reduce((a, b) => a + b, 0);
        for (let j = 0; j <= t; j++) {
          for (let i = 0; i < hd; i++) attnOut[t][head * hd + i] += (exps[j] / sum) * v[j][kvHead * hd + i];
        }
      }
    }
    const o = linear(attnOut, W(`${p}.self_attn.o_proj.weight`), d, H * hd);
    h = h.map((row, t) => row.map((val, i) => val + o[t][i]));
    const x2 = rmsNorm(h, W(`${p}.post_attention_layernorm.weight`), config.rms_norm_eps);
    const gate = linear(x2, W(`${p}.mlp.gate_proj.weight`), f, d);
    const up = linear(x2, W(`${p}.mlp.up_proj.weight`), f, d);
    const act = gate.map((row, t) => row.map((g, i) => (g / (1 + Math.exp(-g))) * up[t][i]));
    const down = linear(act, W(`${p}.mlp.down_proj.weight`), d, f);
    h = h.map((row, t) => row.map((val, i) => val + down[t][i]));
  }
  const normed = rmsNorm(h, W('model.norm.weight'), config.rms_norm_eps);
  return linear(normed, config.tie_word_embeddings ? embed : W('lm_head.weight'), V, d);
}
