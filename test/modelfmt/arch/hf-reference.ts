/**
 * An independent plain-loop reference of Hugging Face's causal LMs, written from
 * transformers' modeling_llama / modeling_mistral / modeling_qwen2 / modeling_qwen3 /
 * modeling_gemma3 and modeling_rope_utils / masking_utils (float64, one sequence, positions
 * 0..n−1). It reads config.json's fields itself and shares no code with src/modelfmt/arch,
 * so a slip in the shared spec (a norm in the wrong place, a bias dropped, the wrong rope
 * base on a sliding layer) shows up as a disagreement.
 */
type Config = Record<string, any>;
type Vec = Float64Array;

const rows = (n: number, f: (i: number) => Vec) => Array.from({ length: n }, (_, i) => f(i));

function linear(x: Vec, w: Float32Array, b: Float32Array | undefined, out: number): Vec {
  const inp = x.length;
  const y = new Float64Array(out);
  for (let o = 0; o < out; o++) {
    let s = b ? b[o] : 0;
    for (let i = 0; i < inp; i++) s += x[i] * w[o * inp + i];
    y[o] = s;
  }
  return y;
}

/** LlamaRMSNorm: x·rsqrt(mean(x²) + eps)·w; Gemma3RMSNorm: the same times (1 + w). */
function rmsNorm(x: Vec, w: Float32Array, eps: number, gemma: boolean): Vec {
  const ms = x.reduce((s, v) => s + v * v, 0) / x.length;
  const r = 1 / Math.sqrt(ms + eps);
  return x.map((v, i) => v * r * (gemma ? 1 + w[i] : w[i]));
}

/** modeling_rope_utils: default, linear, dynamic (for a forward whose longest position is seqLen − 1), llama3. */
function invFreq(c: Config, base: number, scaling: Config | null | undefined, dim: number, seqLen: number): number[] {
  const type = scaling ? (scaling.rope_type ?? scaling.type) : 'default';
  const plain = (theta: number) => Array.from({ length: dim / 2 }, (_, i) => 1 / theta ** ((2 * i) / dim));
  if (type === 'linear') return plain(base).map((f) => f / scaling!.factor);
  if (type === 'dynamic') {
    const max = c.max_position_embeddings;
    const len = Math.max(seqLen, max);
    return plain(base * ((scaling!.factor * len) / max - (scaling!.factor - 1)) ** (dim / (dim - 2)));
  }
  if (type === 'llama3') {
    const { factor, low_freq_factor: lo, high_freq_factor: hi, original_max_position_embeddings: old } = scaling!;
    return plain(base).map((f) => {
      const wl = (2 * Math.PI) / f;
      if (wl < old / hi) return f;
      if (wl > old / lo) return f / factor;
      const s = (old / wl - lo) / (hi - lo);
      return (1 - s) * (f / factor) + s * f;
    });
  }
  return plain(base);
}

function rope(x: Vec, pos: number, inv: number[]): Vec {
  const half = x.length / 2;
  const out = new Float64Array(x.length);
  for (let i = 0; i < half; i++) {
    const c = Math.cos(pos * inv[i]);
    const s = Math.sin(pos * inv[i]);
    out[i] = x[i] * c - x[i + half] * s;
    out[i + half] = x[i + half] * c + x[i] * s;
  }
  return out;
}

const gelu = (x: number) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));
const silu = (x: number) => x / (1 + Math.exp(-x));

/** Logits [n, vocab] of `ids` at positions 0..n−1. */
export function hfReferenceLogits(c: Config, weights: Map<string, Float32Array>, ids: number[]): Vec[] {
  const type: string = c.model_type;
  const gemma = type === 'gemma3_text';
  const W = (n: string) => {
    const w = weights.get(n);
    if (!w) throw new Error(`reference: no tensor ${n}`);
    return w;
  };
  const B = (n: string) => weights.get(n);
  const d = c.hidden_size;
  const H = c.num_attention_heads;
  const KV = c.num_key_value_heads ?? H;
  const hd = c.head_dim ?? d / H;
  const n = ids.length;
  const eps = c.rms_norm_eps;
  const scaling = gemma ? (c.query_pre_attn_scalar ?? hd) ** -0.5 : hd ** -0.5;

  let h = rows(n, (t) => Float64Array.from(W('model.embed_tokens.weight').subarray(ids[t] * d, ids[t] * d + d)));
  if (gemma) h = h.map((x) => x.map((v) => v * Math.fround(Math.sqrt(d))));
  for (let l = 0; l < c.num_hidden_layers; l++) {
    const p = `model.layers.${l}`;
    // Which layers slide, and with which rotary base (each family's config class).
    let sliding = false;
    if (c.layer_types) sliding = c.layer_types[l] === 'sliding_attention';
    else if (type === 'mistral') sliding = c.sliding_window != null;
    else if (type === 'qwen2' || type === 'qwen3') sliding = !!c.use_sliding_window && c.sliding_window != null && l >= c.max_window_layers;
    else if (gemma) sliding = (l + 1) % (c.sliding_window_pattern ?? 6) !== 0;
    const inv = gemma && sliding ? invFreq(c, c.rope_local_base_freq, null, hd, n) : invFreq(c, c.rope_theta, c.rope_scaling, hd, n);
    const window = sliding ? c.sliding_window : Infinity;

    const x = h.map((v) => rmsNorm(v, W(`${p}.input_layernorm.weight`), eps, gemma));
    const proj = (name: string, out: number) => x.map((v) => linear(v, W(`${p}.self_attn.${name}.weight`), B(`${p}.self_attn.${name}.bias`), out));
    const q = proj('q_proj', H * hd);
    const k = proj('k_proj', KV * hd);
    const v = proj('v_proj', KV * hd);
    const head = (m: Vec, j: number) => m.slice(j * hd, (j + 1) * hd);
    const qNorm = B(`${p}.self_attn.q_norm.weight`);
    const kNorm = B(`${p}.self_attn.k_norm.weight`);
    const qh = q.map((row, t) => rows(H, (j) => rope(qNorm ? rmsNorm(head(row, j), qNorm, eps, gemma) : head(row, j), t, inv)));
    const kh = k.map((row, t) => rows(KV, (j) => rope(kNorm ? rmsNorm(head(row, j), kNorm, eps, gemma) : head(row, j), t, inv)));
    const attn = rows(n, () => new Float64Array(H * hd));
    for (let j = 0; j < H; j++) {
      const kvj = Math.floor(j / (H / KV)); // repeat_kv
      for (let t = 0; t < n; t++) {
        const keys: number[] = [];
        const scores: number[] = [];
        for (let u = 0; u <= t; u++) {
          if (!(u > t - window)) continue; // sliding_window_overlay
          let s = qh[t][j].reduce((acc, val, i) => acc + val * kh[u][kvj][i], 0) * scaling;
          if (c.attn_logit_softcapping != null) s = Math.tanh(s / c.attn_logit_softcapping) * c.attn_logit_softcapping;
          keys.push(u);
          scores.push(s);
        }
        const max = Math.max(...scores);
        const e = scores.map((s) => Math.exp(s - max));
        const z = e.reduce((a, b) => a + b, 0);
        keys.forEach((u, m) => {
          for (let i = 0; i < hd; i++) attn[t][j * hd + i] += (e[m] / z) * v[u][kvj * hd + i];
        });
      }
    }
    let o = attn.map((row) => linear(row, W(`${p}.self_attn.o_proj.weight`), B(`${p}.self_attn.o_proj.bias`), d));
    if (gemma) o = o.map((row) => rmsNorm(row, W(`${p}.post_attention_layernorm.weight`), eps, true));
    h = h.map((row, t) => row.map((val, i) => val + o[t][i]));

    const preMlp = gemma ? `${p}.pre_feedforward_layernorm.weight` : `${p}.post_attention_layernorm.weight`;
    let m = h.map((row) => {
      const y = rmsNorm(row, W(preMlp), eps, gemma);
      const f = c.intermediate_size;
      const gate = linear(y, W(`${p}.mlp.gate_proj.weight`), B(`${p}.mlp.gate_proj.bias`), f);
      const up = linear(y, W(`${p}.mlp.up_proj.weight`), B(`${p}.mlp.up_proj.bias`), f);
      return linear(
        gate.map((g, i) => (gemma ? gelu(g) : silu(g)) * up[i]),
        W(`${p}.mlp.down_proj.weight`),
        B(`${p}.mlp.down_proj.bias`),
        d,
      );
    });
    if (gemma) m = m.map((row) => rmsNorm(row, W(`${p}.post_feedforward_layernorm.weight`), eps, true));
    h = h.map((row, t) => row.map((val, i) => val + m[t][i]));
  }
  const head = c.tie_word_embeddings ? W('model.embed_tokens.weight') : W('lm_head.weight');
  return h.map((row) => {
    const logits = linear(rmsNorm(row, W('model.norm.weight'), eps, gemma), head, undefined, c.vocab_size);
    const cap = gemma ? c.final_logit_softcapping : null;
    return cap != null ? logits.map((z) => Math.tanh(z / cap) * cap) : logits;
  });
}
