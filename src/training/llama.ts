/**
 * The Llama decoder as a tensor-expression graph (nanoGPT's model.py, in our IR): token
 * embedding, per layer RMSNorm → grouped-query attention with HF rotary embeddings
 * (rotate_half) → residual → RMSNorm → SwiGLU MLP → residual, final RMSNorm, lm_head
 * (tied to the embedding or not) and the masked cross-entropy. The same code builds the
 * training graph, the evaluation graph and the logits graph used by the agreement test.
 *
 * Weights are graph inputs named as in Hugging Face; LoRA adapters (PEFT names) are
 * extra inputs added beside the targeted Linear layers. Labels follow HF: aligned with
 * input_ids, shifted here (position t predicts labels[t + 1]).
 */
import type { LlamaConfig } from '../modelfmt/config.js';
import { llamaParameterShapes } from '../modelfmt/config.js';
import * as T from './graph/api.js';
import { attentionBlocks, groupedCausalAttention } from './attention.js';
import { lmHeadCrossEntropy, rmsNorm, swiglu } from './graph/fused.js';
import type { Graph, Tensor } from './graph/ir.js';
import { loraGraph, type LoraOptions } from './lora.js';
import { ropeTables } from './rope.js';

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
}

/** Rows per lm_head chunk: about 8M logits at a time, dividing N evenly when possible. */
export function defaultLossChunkRows(rows: number, vocab: number): number {
  const target = Math.max(64, Math.floor((8 * 1024 * 1024) / vocab));
  const chunks = Math.max(1, Math.ceil(rows / target));
  return Math.ceil(rows / chunks);
}

export function buildLlama(g: Graph, config: LlamaConfig, options: LlamaGraphOptions): LlamaGraph {
  const { batchSize: B, seqLen: Tn } = options;
  const { hidden_size: d, num_attention_heads: H, num_key_value_heads: KV, head_dim: hd, rms_norm_eps: eps } = config;
  const G = H / KV;
  const N = B * Tn;
  const lora = options.method === 'lora' ? options.lora : undefined;

  const inputIds = g.input('input_ids', [B, Tn], { dtype: 'int64' });
  const targets = g.input('targets', [N], { dtype: 'int64' });
  const weights = new Map<string, Tensor>();
  const trainable = new Map<string, Tensor>();
  for (const [name, shape] of llamaParameterShapes(config)) {
    const t = g.input(name, shape, { trainable: options.method === 'full' });
    weights.set(name, t);
    if (options.method === 'full') trainable.set(name, t);
  }
  const W = (name: string) => weights.get(name)!;

  const adapter = lora ? loraGraph(g, config, lora, { dropout: options.dropout, rows: N }, (name, t) => (trainable.set(name, t), weights.set(name, t))) : undefined;
  /** x (N, in) · Wᵀ (+ residual, through Gemm's C input: no separate Add), plus the LoRA path when this module is targeted. */
  const linear = (x: Tensor, name: string, residual?: Tensor): Tensor =>
    adapter?.targets(name) ? adapter.linear(x, name, W(name), residual) : T.gemm(x, W(name), { transB: true, c: residual });

  const rope = ropeTables(g, config, Tn);
  const blocks = options.attentionBlocks ?? attentionBlocks(Tn);
  const rotate = (x: Tensor, cos: Tensor, sinSigned: Tensor) => T.add(T.mul(x, cos), T.mul(T.reverse(x, -2), sinSigned));

  let x = T.reshape(T.gather(W('model.embed_tokens.weight'), inputIds), [N, d]); // (N, d)
  for (let i = 0; i < config.num_hidden_layers; i++) {
    const p = `model.layers.${i}`;
    const h = rmsNorm(x, W(`${p}.input_layernorm.weight`), eps);
    const q = rotate(T.reshape(linear(h, `${p}.self_attn.q_proj.weight`), [B, Tn, KV, G, 2, hd / 2]), rope.cosQ, rope.sinQ);
    const k = rotate(T.reshape(linear(h, `${p}.self_attn.k_proj.weight`), [B, Tn, KV, 2, hd / 2]), rope.cosK, rope.sinK);
    const v = T.reshape(linear(h, `${p}.self_attn.v_proj.weight`), [B, Tn, KV, hd]);
    const merged = groupedCausalAttention(T.reshape(q, [B, Tn, KV, G, hd]), T.reshape(k, [B, Tn, KV, hd]), v, blocks); // (N, H·hd)
    x = linear(merged, `${p}.self_attn.o_proj.weight`, x);
    const h2 = rmsNorm(x, W(`${p}.post_attention_layernorm.weight`), eps);
    const act = swiglu(linear(h2, `${p}.mlp.gate_proj.weight`), linear(h2, `${p}.mlp.up_proj.weight`)); // (N, f)
    x = linear(act, `${p}.mlp.down_proj.weight`, x);
  }
  const hidden = rmsNorm(x, W('model.norm.weight'), eps);
  const lmHead = config.tie_word_embeddings ? W('model.embed_tokens.weight') : W('lm_head.weight');
  return { inputIds, targets, weights, trainable, hidden, lmHead };
}

/** The mean cross-entropy over counted targets, lm_head chunked by rows. */
export function llamaLoss(model: LlamaGraph, config: LlamaConfig, chunkRows?: number): Tensor {
  const rows = model.hidden.shape[0];
  return lmHeadCrossEntropy(model.hidden, model.lmHead, model.targets, chunkRows ?? defaultLossChunkRows(rows, config.vocab_size));
}

/** Logits (B·T, V) in one piece, for the agreement test and evaluation tools. */
export function llamaLogits(model: LlamaGraph): Tensor {
  return T.gemm(model.hidden, model.lmHead, { transB: true });
}
