/**
 * Hand-fused pieces of the model, each a forward from primitive ops plus a hand-written
 * backward (`customGrad`) that touches big tensors fewer times than the generic walk
 * would. ONNX Runtime fuses almost nothing in a training graph because the backward pass
 * reuses forward intermediates, so these formulas are where the elementwise time goes.
 * Each one is gradient-checked in the op table like a primitive.
 */
import * as T from './api.js';
import type { Tensor } from './ir.js';

/**
 * SwiGLU's h = silu(gate) · up. What the backward needs is formed in the forward, right
 * after gate and up are produced: up · silu'(gate) = up·σ·(1 + g − g·σ) = v + h − h·σ with
 * v = up·σ and h = g·v. The backward is then two multiplies of dh, and two (N, f) tensors
 * stay alive until it instead of three (the same nine passes in all).
 */
export function swiglu(gate: Tensor, up: Tensor): Tensor {
  const s = T.sigmoid(gate);
  const v = T.mul(up, s);
  const h = T.mul(gate, v);
  const a = T.mul(gate, s); // silu(gate)
  const upDsilu = T.sub(T.add(v, h), T.mul(h, s));
  return T.customGrad(h, [gate, up], (dh) => [T.mul(dh, upDsilu), T.mul(dh, a)]);
}

/** SiLU alone (x · σ(x)), fused the same way. */
export function silu(x: Tensor): Tensor {
  const s = T.sigmoid(x);
  const y = T.mul(x, s);
  return T.customGrad(y, [x], (dy) => [T.mul(dy, T.sub(T.add(s, y), T.mul(y, s)))]);
}

/**
 * Gemma's gated MLP activation, gelu_tanh(gate) · up, with GELU's tanh form written through
 * the sigmoid (0.5·(1 + tanh(z)) = σ(2z)), so no Tanh op is needed:
 * gelu(g) = g·σ(u), u = 2·√(2/π)·(g + 0.044715·g³). As in swiglu, what the backward needs,
 * up · gelu'(g) = up · (s + g·s·(1 − s)·u'), is formed in the forward.
 */
export function gegluTanh(gate: Tensor, up: Tensor): Tensor {
  const k = 2 * Math.sqrt(2 / Math.PI);
  const g2 = T.mul(gate, gate);
  const s = T.sigmoid(T.mul(T.mul(gate, T.add(T.mul(g2, 0.044715), 1)), k));
  const gelu = T.mul(gate, s);
  const h = T.mul(gelu, up);
  const du = T.mul(T.add(T.mul(g2, 3 * 0.044715 * k), k), T.mul(gelu, T.sub(1, s))); // g·s·(1 − s)·u'
  const upDgelu = T.mul(up, T.add(s, du));
  return T.customGrad(h, [gate, up], (dh) => [T.mul(dh, upDgelu), T.mul(dh, gelu)]);
}

/** c·tanh(x / c) (Gemma's soft-capping) as c·(2σ(2x / c) − 1); the generic walk differentiates it. */
export function softcap(x: Tensor, c: number): Tensor {
  return T.sub(T.mul(T.sigmoid(T.mul(x, 2 / c)), 2 * c), c);
}

/**
 * RMSNorm over the last axis: x / sqrt(mean(x²) + eps) · w. Float32 graphs compute y and r
 * in one SimplifiedLayerNormalization kernel and form xhat = x·r in the backward, so only
 * r (…, 1) stays alive from the forward, not an xhat the size of x (and a forward-only use,
 * a recomputed layer's first pass or an evaluation, never forms xhat).
 */
export function rmsNorm(x: Tensor, w: Tensor, eps: number): Tensor {
  const d = x.shape[x.rank - 1];
  let y: Tensor;
  let r: Tensor; // (…, 1)
  let xhatForward: Tensor | undefined;
  if (T.contribOps(x)) [y, r] = T.simplifiedLayerNorm(x, w, eps);
  else {
    r = T.reciprocal(T.sqrt(T.add(T.mul(T.reduceSumSquare(x, [-1]), 1 / d), eps)));
    xhatForward = T.mul(x, r);
    y = T.mul(xhatForward, w);
  }
  return T.customGrad(y, [x, w], (dy) => {
    const xhat = xhatForward ?? T.mul(x, r);
    const dyXhat = T.mul(dy, xhat);
    // The column sum as a ones-vector GEMV (ONNX Runtime's ReduceSum over the row axis is slower).
    const n = x.size / d;
    const dw = T.reshape(T.matmul(x.graph.constant(new Float32Array(n).fill(1), [1, n]), T.reshape(dyXhat, [n, d])), w.shape);
    const g = T.mul(dy, w);
    // mean(g · xhat) = (dy · xhat) @ w / d: a matrix-vector product instead of a multiply pass and a reduction.
    const dot = T.mul(T.matmul(dyXhat, T.reshape(w, [d, 1])), 1 / d); // (…, 1)
    const dx = T.mul(T.sub(g, T.mul(xhat, dot)), r);
    return [dx, dw];
  });
}

/**
 * Causal attention for one layer with the query heads of each kv group stacked on rows:
 * q (B, KV, G·T, hd) already scaled and rotated, kT (B, KV, hd, T), v (B, KV, T, hd),
 * mask (G·T, T) additive (0 or a large negative). Returns (B, KV, G·T, hd).
 * The backward uses rowsum(dO ∘ O) instead of rowsum(dP ∘ P), so no (…, T, T) reduction,
 * and keeps every transpose on (…, T, hd)-sized tensors.
 */
export function causalAttention(q: Tensor, kT: Tensor, v: Tensor, mask: Tensor): Tensor {
  const swap = [0, 1, 3, 2];
  const p = T.softmax(T.add(T.matmul(q, kT), mask)); // (B, KV, GT, T)
  const o = T.matmul(p, v); // (B, KV, GT, hd)
  return T.customGrad(o, [q, kT, v], (dO) => {
    const dP = T.matmul(dO, T.transpose(v, swap));
    const rowDot = T.reduceSum(T.mul(dO, o), [-1]); // (B, KV, GT, 1)
    const dS = T.mul(p, T.sub(dP, rowDot));
    const dq = T.matmul(dS, T.transpose(kT, swap));
    const dkT = T.matmul(T.transpose(q, swap), dS);
    const dv = T.transpose(T.matmul(T.transpose(dO, swap), p), swap);
    return [dq, dkT, dv];
  });
}

/** Labels → (per-row weight 1/count or 0, labels with ignored rows set to 0 as (N, 1)). */
function lossWeights(labels: Tensor, ignoreIndex: number): { weight: Tensor; safeLabels: Tensor } {
  const g = labels.graph;
  const n = labels.size;
  const valid = T.not(T.equal(labels, g.constant([ignoreIndex], [], 'int64')));
  const w = T.cast(valid, g.floatType); // (N)
  const count = T.max(T.reduceSum(w, [0], false), 1);
  const weight = T.reshape(T.div(w, count), [n, 1]);
  const safeLabels = T.reshape(T.where(valid, labels, g.constant([0], [], 'int64')), [n, 1]);
  return { weight, safeLabels };
}

/**
 * Mean cross-entropy of logits (N, V) against labels (N), rows labelled `ignoreIndex`
 * (-100) not counted. Backward: (softmax − one-hot) · weight, no log-softmax pass.
 */
export function crossEntropy(logits: Tensor, labels: Tensor, ignoreIndex = -100): Tensor {
  const { weight, safeLabels } = lossWeights(labels, ignoreIndex);
  const p = T.softmax(logits);
  const nll = T.neg(T.log(T.gatherElements(p, safeLabels, 1))); // (N, 1)
  const loss = T.reduceSum(T.mul(nll, weight), [0, 1], false);
  return T.customGrad(loss, [logits], (dy) => {
    const minusOne = T.expand(logits.graph.constant([-1], [1, 1]), safeLabels.shape);
    return [T.mul(T.mul(T.scatterElementsAdd(p, safeLabels, minusOne, 1), weight), dy)];
  });
}

/**
 * lm_head + cross-entropy, chunked by rows so only a (rows, V) slice of logits lives at a
 * time: h (N, d), weight (V, d) in HF's [out, in] layout, labels (N). Each chunk's
 * gradient is built right after its forward (tape order is execution order). The one-hot
 * part of softmax − one-hot never touches a (rows, V) tensor: dh subtracts the label rows
 * of the weight, and the weight gradient scatters −h rows once at the end. The per-row
 * loss weights scale the small (rows, d) operands, and the weight gradient accumulates
 * (transposed) through Gemm's C input. The backward assumes dy = 1 (the loss seed) unless told otherwise.
 */
export function lmHeadCrossEntropy(h: Tensor, weight: Tensor, labels: Tensor, chunkRows: number, ignoreIndex = -100): Tensor {
  const [n, d] = h.shape;
  const { weight: rowWeight, safeLabels } = lossWeights(labels, ignoreIndex);
  const flatLabels = T.reshape(safeLabels, [n]);
  const whole = chunkRows >= n;
  const losses: Tensor[] = [];
  const dhs: Tensor[] = [];
  const scaledRows: Tensor[] = [];
  let dW: Tensor | undefined;
  for (let r0 = 0; r0 < n; r0 += chunkRows) {
    const r1 = Math.min(n, r0 + chunkRows);
    const rows = (t: Tensor) => (whole ? t : T.slice(t, [0], [r0], [r1]));
    const [hc, lab, wc] = [rows(h), rows(safeLabels), rows(rowWeight)];
    const p = T.softmax(T.gemm(hc, weight, { transB: true })); // (rows, V)
    losses.push(T.reduceSum(T.mul(T.neg(T.log(T.gatherElements(p, lab, 1))), wc), [0, 1], false));
    if (h.requiresGrad) {
      const labelRows = T.reshape(T.gather(weight, T.reshape(lab, [r1 - r0])), [r1 - r0, d]);
      dhs.push(T.mul(T.sub(T.gemm(p, weight), labelRows), wc));
    }
    if (weight.requiresGrad) {
      const hw = T.mul(hc, wc);
      scaledRows.push(hw);
      // Accumulated transposed, (d, V) = hwᵀ·p: MLAS runs this layout ~1.4× faster than pᵀ·hw
      // (V = 8192, d = 256, 1024 rows: 30 vs 43 CPU-ms, one process, interleaved).
      dW = T.gemm(hw, p, { transA: true, c: dW });
    }
  }
  const loss = losses.reduce((a, b) => T.add(a, b));
  const dh = dhs.length === 0 ? null : dhs.length === 1 ? dhs[0] : T.concat(dhs, 0);
  if (dW) dW = T.scatterRowsAdd(T.transpose(dW, [1, 0]), flatLabels, T.neg(scaledRows.length === 1 ? scaledRows[0] : T.concat(scaledRows, 0)));
  return T.customGrad(loss, [h, weight], (dy) => {
    const scale = (t: Tensor | null | undefined) => (t ? (T.isOne(dy) ? t : T.mul(t, dy)) : null);
    return [scale(dh), scale(dW)];
  });
}
