/**
 * The decoder as a training graph: the training backend of the one forward in
 * src/modelfmt/arch/decoder.ts, on our tensor-expression IR with static shapes (B·T rows).
 * Family differences come from the ModelSpec (src/modelfmt/arch/spec.ts); this file only
 * says how each primitive is computed for training: Gemm with transB on HF [out, in]
 * weights (residuals through Gemm's C input), hand-fused RMSNorm / SwiGLU / GeGLU /
 * attention backwards (graph/fused.ts), rotary tables with the attention scale folded in
 * (rope.ts), blocked causal attention with sliding windows (attention.ts). The same code
 * builds the training graph, the evaluation graph and the logits graph of the agreement tests.
 *
 * Weights are graph inputs named as in Hugging Face; LoRA adapters (PEFT names) are
 * extra inputs added beside the targeted Linear layers; biases stay frozen under LoRA.
 * Labels follow HF: aligned with input_ids, shifted here (position t predicts labels[t + 1]).
 */
import type { LlamaConfig } from '../modelfmt/hf-config.js';
import { decoderForward, type DecoderOps } from '../modelfmt/arch/decoder.js';
import { modelSpec, type LinearSpec } from '../modelfmt/arch/spec.js';
import * as T from './graph/api.js';
import { checkpoint } from './graph/activation-checkpoint.js';
import { attentionBlocks, groupedCausalAttention } from './attention.js';
import { crossEntropy, gegluTanh, lmHeadCrossEntropy, rmsNorm, softcap, swiglu } from './graph/fused.js';
import type { Graph, Tensor } from './graph/ir.js';
import { loraGraph, type LoraOptions } from './lora-adapters.js';
import { ropeTables, type RopeTables } from './rope-tables.js';

export interface LlamaGraphOptions {
  batchSize: number;
  seqLen: number;
  /** 'full': every base weight is trainable; 'lora': base weights frozen, adapters trainable. */
  method: 'full' | 'lora';
  lora?: LoraOptions;
  /** LoRA dropout (training graphs): the keep-masks are graph inputs (see LoraDropoutMasks). */
  dropout: boolean;
  /** Rows of logits computed at a time by the loss (bounds the (rows, V) temporaries). */
  lossChunkRows?: number;
  /** Causal query blocks per sequence (default: attentionBlocks(seqLen)). */
  attentionBlocks?: number;
  /** ONNX Runtime contrib kernels in float32 graphs (default on; see graph/ops.ts). */
  contribOps?: boolean;
  /** Recompute each layer's forward in the backward instead of keeping its activations (graph/activation-checkpoint.ts). */
  checkpoint?: boolean;
}

export interface LlamaGraph {
  inputIds: Tensor;
  /** Shifted labels (B·T): labels[t + 1], -100 at the end of each row. */
  targets: Tensor;
  /** Every weight input by name (base and LoRA). */
  weights: Map<string, Tensor>;
  trainable: Map<string, Tensor>;
  /** Final hidden states after the last RMSNorm, (B·T, d). */
  hidden: Tensor;
  lmHead: Tensor;
  /** Soft-cap of the final logits (Gemma when configured). */
  finalSoftcap?: number;
}

/**
 * Rows per lm_head chunk: about 8M logits at a time but at least 256 rows, dividing N evenly
 * when possible. Each chunk streams the whole (V, d) weight twice (logits and dh), so short
 * chunks of a large vocabulary are memory-bound: lm_head + loss of Qwen2.5-0.5B (512 rows)
 * took 2.65 / 2.15 / 1.96 / 1.90 CPU-s in chunks of 64 / 128 / 256 / 512 rows (one process,
 * interleaved, 2026-12-04); 256 keeps most of the gain for 3 × 155 MB of temporaries.
 */
export function defaultLossChunkRows(rows: number, vocab: number): number {
  const target = Math.max(256, Math.floor((8 * 1024 * 1024) / vocab));
  const chunks = Math.max(1, Math.ceil(rows / target));
  return Math.ceil(rows / chunks);
}

interface QK {
  q: Tensor; // (B, T, KV, G, hd), or (B, T, KV, G, 2, hd/2) when no q/k norm comes before RoPE
  k: Tensor; // (B, T, KV, hd), or (B, T, KV, 2, hd/2)
}

export function buildLlama(g: Graph, config: LlamaConfig, options: LlamaGraphOptions): LlamaGraph {
  const spec = modelSpec(config);
  const { batchSize: B, seqLen: Tn } = options;
  const { hidden: d, heads: H, kvHeads: KV, headDim: hd } = spec;
  const G = H / KV;
  const N = B * Tn;
  const lora = options.method === 'lora' ? options.lora : undefined;
  g.contribOps = options.contribOps ?? true;

  const inputIds = g.input('input_ids', [B, Tn], { dtype: 'int64' });
  const targets = g.input('targets', [N], { dtype: 'int64' });
  const weights = new Map<string, Tensor>();
  const trainable = new Map<string, Tensor>();
  for (const [name, shape] of spec.parameterShapes) {
    const t = g.input(name, shape, { trainable: options.method === 'full' });
    weights.set(name, t);
    if (options.method === 'full') trainable.set(name, t);
  }
  const W = (name: string) => weights.get(name)!;
  const adapter = lora
    ? loraGraph(g, config, lora, { dropout: options.dropout, rows: N }, (name, t) => (trainable.set(name, t), weights.set(name, t)))
    : undefined;

  /** Gemma's (1 + w), formed where the norm is (each norm weight is read once per forward; a checkpointed layer forms it again). */
  const normWeight = (name: string) => (spec.normOffset ? T.add(W(name), spec.normOffset) : W(name));
  const ropes = new Map<string, RopeTables>();
  const ropeFor = (key: string, make: () => RopeTables) => ropes.get(key) ?? (ropes.set(key, make()), ropes.get(key)!);
  const blocks = options.attentionBlocks ?? attentionBlocks(Tn);
  const rotate = (x: Tensor, cos: Tensor, sinSigned: Tensor) => T.add(T.mul(x, cos), T.mul(T.reverse(x, -2), sinSigned));

  const ops: DecoderOps<Tensor, QK> = {
    embed() {
      const x = T.reshape(T.gather(W(spec.embedding), inputIds), [N, d]); // (N, d)
      return spec.embedScale === 1 ? x : T.mul(x, spec.embedScale);
    },
    norm: (x, name) => rmsNorm(x, normWeight(name), spec.eps),
    add: (a, b) => T.add(a, b),
    linear(x: Tensor, lin: LinearSpec, residual?: Tensor) {
      // x (N, in) · Wᵀ, the residual through Gemm's C input (no separate Add), plus the LoRA path when targeted.
      if (adapter?.targets(lin.weight)) {
        const y = adapter.linear(x, lin.weight, W(lin.weight), residual);
        return lin.bias ? T.add(y, W(lin.bias)) : y;
      }
      if (lin.bias && !residual) return T.gemm(x, W(lin.weight), { transB: true, c: W(lin.bias) });
      const y = T.gemm(x, W(lin.weight), { transB: true, c: residual });
      return lin.bias ? T.add(y, W(lin.bias)) : y;
    },
    qkv(x, layer) {
      // Heads split straight into RoPE's (2, hd/2) view unless a per-head norm comes first.
      const last = layer.qNorm ? [hd] : [2, hd / 2];
      const q = T.reshape(ops.linear(x, layer.q), [B, Tn, KV, G, ...last]);
      const k = T.reshape(ops.linear(x, layer.k), [B, Tn, KV, ...last]);
      return { qk: { q, k }, v: T.reshape(ops.linear(x, layer.v), [B, Tn, KV, hd]) };
    },
    qkNorm: ({ q, k }, layer) => ({ q: rmsNorm(q, normWeight(layer.qNorm!), spec.eps), k: rmsNorm(k, normWeight(layer.kNorm!), spec.eps) }),
    attention({ q, k }, v, layer) {
      const rope = ropeFor(layer.rope.key, () => ropeTables(g, spec, layer.rope, Tn, B));
      const window = layer.window !== undefined && layer.window < Tn ? layer.window : undefined;
      const attend = (qRot: Tensor, kRot: Tensor) =>
        groupedCausalAttention(T.reshape(qRot, [B, Tn, KV, G, hd]), T.reshape(kRot, [B, Tn, KV, hd]), v, { blocks, window, softcap: spec.attnSoftcap }); // (N, H·hd)
      if (T.contribOps(q)) {
        const c = rope.cache;
        const qRot = T.rotaryEmbedding(T.reshape(q, [B, Tn, H * hd]), c.positions, c.cosQ, c.sinQ, H);
        return attend(qRot, T.rotaryEmbedding(T.reshape(k, [B, Tn, KV * hd]), c.positions, c.cosK, c.sinK, KV));
      }
      const halves = (t: Tensor, shape: number[]) => (t.rank === shape.length ? t : T.reshape(t, shape));
      return attend(rotate(halves(q, [B, Tn, KV, G, 2, hd / 2]), rope.cosQ, rope.sinQ), rotate(halves(k, [B, Tn, KV, 2, hd / 2]), rope.cosK, rope.sinK));
    },
    block: options.checkpoint ? checkpoint : undefined,
    gatedMlp(x, layer) {
      const act = spec.activation === 'gelu_tanh' ? gegluTanh : swiglu;
      return act(ops.linear(x, layer.gate), ops.linear(x, layer.up)); // (N, f)
    },
  };

  const hidden = decoderForward(spec, ops);
  return { inputIds, targets, weights, trainable, hidden, lmHead: W(spec.lmHead), finalSoftcap: spec.finalSoftcap };
}

/** The mean cross-entropy over counted targets, lm_head chunked by rows. */
export function llamaLoss(model: LlamaGraph, config: LlamaConfig, chunkRows?: number): Tensor {
  if (model.finalSoftcap !== undefined) return crossEntropy(llamaLogits(model), model.targets);
  const rows = model.hidden.shape[0];
  return lmHeadCrossEntropy(model.hidden, model.lmHead, model.targets, chunkRows ?? defaultLossChunkRows(rows, config.vocab_size));
}

/** Logits (B·T, V) in one piece, for the agreement test and evaluation tools. */
export function llamaLogits(model: LlamaGraph): Tensor {
  const logits = T.gemm(model.hidden, model.lmHead, { transB: true });
  return model.finalSoftcap === undefined ? logits : softcap(logits, model.finalSoftcap);
}
