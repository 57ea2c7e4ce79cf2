/**
 * The only inference module that imports onnxruntime-node. It loads a decoder exported with
 * Optimum-style names, checks that its inputs/outputs are what generation needs, and runs one
 * forward step at a time with batch size 1. Everything above talks to `DecoderSession`, whose
 * KV cache is an opaque value: the `present` tensors of one step are handed straight back as
 * the next step's `past` (no copies, no reshaping in JavaScript).
 */
import ort from 'onnxruntime-node';
import { PersonaError } from '../errors.js';

export interface DecoderShape {
  layers: number;
  kvHeads: number;
  headDim: number;
  vocabSize: number;
}

export interface SessionSettings {
  /** Intra-op threads; 0 lets ONNX Runtime use one per core. */
  threads: number;
}

/** The KV cache between steps: the previous step's present.* tensors, in input order. */
export interface KvCache {
  readonly length: number;
  readonly tensors: Record<string, ort.Tensor>;
}

export interface StepResult {
  /** Logits of the last position only, [vocab]. */
  logits: Float32Array;
  cache: KvCache;
}

function pastName(layer: number, kind: 'key' | 'value'): string {
  return `past_key_values.${layer}.${kind}`;
}

export class DecoderSession {
  private readonly emptyCache: KvCache;
  private readonly keepsLogits: boolean;
  private readonly hasPositionIds: boolean;

  private constructor(
    private readonly session: ort.InferenceSession,
    readonly shape: DecoderShape,
    readonly source: string,
  ) {
    this.keepsLogits = session.inputNames.includes('num_logits_to_keep');
    this.hasPositionIds = session.inputNames.includes('position_ids');
    const tensors: Record<string, ort.Tensor> = {};
    for (let i = 0; i < shape.layers; i++) {
      for (const kind of ['key', 'value'] as const) tensors[pastName(i, kind)] = new ort.Tensor('float32', new Float32Array(0), [1, shape.kvHeads, 0, shape.headDim]);
    }
    this.emptyCache = { length: 0, tensors };
  }

  /** Loads and checks a decoder; any failure is `model_corrupt` naming `source`. */
  static async load(model: string | Uint8Array, shape: DecoderShape, settings: SessionSettings, source = typeof model === 'string' ? model : 'model bytes'): Promise<DecoderSession> {
    let session: ort.InferenceSession;
    const options: ort.InferenceSession.SessionOptions = {
      graphOptimizationLevel: 'all',
      executionMode: 'sequential',
      interOpNumThreads: 1,
      ...(settings.threads > 0 ? { intraOpNumThreads: settings.threads } : {}),
    };
    try {
      session = typeof model === 'string' ? await ort.InferenceSession.create(model, options) : await ort.InferenceSession.create(model, options);
    } catch (error) {
      throw new PersonaError('model_corrupt', `${source}: ONNX Runtime could not load the model (${(error as Error).message.split('\n')[0]}).`, { file: source }, { cause: error });
    }
    const problem = describeMismatch(session, shape);
    if (problem) {
      await session.release();
      throw new PersonaError('model_corrupt', `${source}: not a decoder with a KV cache as expected (${problem}).`, { file: source });
    }
    return new DecoderSession(session, shape, source);
  }

  get empty(): KvCache {
    return this.emptyCache;
  }

  /**
   * Runs `ids` (new tokens, batch 1) on top of `cache`; returns the last position's logits and
   * the grown cache. Positions continue from cache.length; no padding, so the mask is all ones.
   */
  async step(ids: readonly number[], cache: KvCache): Promise<StepResult> {
    const total = cache.length + ids.length;
    const feeds: Record<string, ort.Tensor> = {
      ...cache.tensors,
      input_ids: new ort.Tensor('int64', BigInt64Array.from(ids, BigInt), [1, ids.length]),
      attention_mask: new ort.Tensor('int64', new BigInt64Array(total).fill(1n), [1, total]),
    };
    if (this.hasPositionIds) feeds.position_ids = new ort.Tensor('int64', BigInt64Array.from(ids, (_, i) => BigInt(cache.length + i)), [1, ids.length]);
    if (this.keepsLogits) feeds.num_logits_to_keep = new ort.Tensor('int64', BigInt64Array.of(1n), []);
    const out = await this.session.run(feeds);
    const tensors: Record<string, ort.Tensor> = {};
    for (let i = 0; i < this.shape.layers; i++) {
      for (const kind of ['key', 'value'] as const) tensors[pastName(i, kind)] = out[`present.${i}.${kind}`] as ort.Tensor;
    }
    const logits = out.logits.data as Float32Array;
    const V = this.shape.vocabSize;
    return { logits: logits.length === V ? logits : logits.subarray(logits.length - V), cache: { length: total, tensors } };
  }

  /** All-position logits [seq, vocab] for a prompt (scoring and the train/inference agreement test). */
  async scoreAll(ids: readonly number[]): Promise<Float32Array> {
    const feeds: Record<string, ort.Tensor> = {
      ...this.emptyCache.tensors,
      input_ids: new ort.Tensor('int64', BigInt64Array.from(ids, BigInt), [1, ids.length]),
      attention_mask: new ort.Tensor('int64', new BigInt64Array(ids.length).fill(1n), [1, ids.length]),
    };
    if (this.hasPositionIds) feeds.position_ids = new ort.Tensor('int64', BigInt64Array.from(ids, (_, i) => BigInt(i)), [1, ids.length]);
    if (this.keepsLogits) feeds.num_logits_to_keep = new ort.Tensor('int64', BigInt64Array.of(0n), []);
    const out = await this.session.run(feeds);
    return out.logits.data as Float32Array;
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}

function describeMismatch(session: ort.InferenceSession, shape: DecoderShape): string | undefined {
  const required = ['input_ids', 'attention_mask'];
  const outputs = ['logits'];
  for (let i = 0; i < shape.layers; i++) {
    for (const kind of ['key', 'value'] as const) {
      required.push(pastName(i, kind));
      outputs.push(`present.${i}.${kind}`);
    }
  }
  const optional = ['position_ids', 'num_logits_to_keep'];
  const missing = required.filter((name) => !session.inputNames.includes(name));
  if (missing.length) return `missing input(s) ${missing.slice(0, 3).join(', ')}${missing.length > 3 ? '…' : ''}`;
  const unknown = session.inputNames.filter((name) => !required.includes(name) && !optional.includes(name));
  if (unknown.length) return `unexpected input(s) ${unknown.join(', ')}`;
  const absent = outputs.filter((name) => !session.outputNames.includes(name));
  if (absent.length) return `missing output(s) ${absent.slice(0, 3).join(', ')}${absent.length > 3 ? '…' : ''}`;
  const past = session.inputMetadata.find((m) => m.name === pastName(0, 'key'));
  if (past?.isTensor && past.shape.length === 4) {
    const [, kv, , hd] = past.shape;
    if ((typeof kv === 'number' && kv !== shape.kvHeads) || (typeof hd === 'number' && hd !== shape.headDim)) {
      return `past_key_values shape [batch, ${kv}, past, ${hd}] does not match config.json (${shape.kvHeads} kv heads, head_dim ${shape.headDim})`;
    }
  }
  const logits = session.outputMetadata.find((m) => m.name === 'logits');
  const vocab = logits?.isTensor ? logits.shape.at(-1) : undefined;
  if (typeof vocab === 'number' && vocab !== shape.vocabSize) return `logits have ${vocab} entries per token but config.json's vocab_size is ${shape.vocabSize}`;
  return undefined;
}
