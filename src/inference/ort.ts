/**
 * The only inference module that imports onnxruntime-node. It loads a decoder exported with
 * Optimum-style names, checks that its inputs/outputs are what generation needs, and runs one
 * forward step at a time with batch size 1. Everything above talks to `DecoderSession`, whose
 * KV cache is an opaque value.
 *
 * The cache lives in JavaScript buffers with spare rows. onnxruntime-node reads inputs in
 * place but copies every fetched output into a fresh buffer, so fetching the grown
 * `present.*` tensors each step would copy the whole cache per token (~20% of a decode step
 * of the bundled base at 300 tokens). Graphs we export also output each step's new rows
 * (`new_key_values`, every layer's stacked in one output: each fetched output costs
 * onnxruntime-node ~15 µs, ~0.9 ms per step for 60 of them at 135M; older exports of ours
 * have one `new_key_values.N.key|value` per layer); we fetch only those and the logits, append the rows in
 * place, and feed the buffers back whole as `past_key_values` with the spare rows masked
 * out by attention_mask (position_ids carry the true positions). Other Optimum-style graphs
 * (no such outputs) get the plain present → past hand-over.
 */
import { availableParallelism, cpus } from 'node:os';
import { dirname } from 'node:path';
import ort from 'onnxruntime-node';
import { PersonaError } from '../errors.js';
import { NEW_ROWS_OUTPUT } from '../modelfmt/onnx/graph-format.js';
import { generatorModel } from '../modelfmt/onnx/logits-to-keep.js';
import { onnxModelBytes } from '../modelfmt/onnx/onnx-model-file.js';
import { claimedCores } from '../util/cpu-claims.js';
import { withProviderFallback } from '../util/execution-providers.js';

export interface DecoderShape {
  layers: number;
  kvHeads: number;
  headDim: number;
  vocabSize: number;
}

export interface SessionSettings {
  /** Intra-op threads; 0 chooses automatically (see `threadPlan`). */
  threads: number;
}

/**
 * Models under this many bytes of weights get a second, single-threaded session. A decode step
 * reads every weight once through ~10 operators per layer; for a small model each operator is
 * a few microseconds of work, so a multi-threaded step only wins while the other cores are
 * idle: ONNX Runtime's pool threads spin between operators, and one that loses its core to
 * another process stalls every operator. Measured on 2 cores (bundled base, 25 MB, fp32): idle
 * machine, 2 threads 725 tok/s vs 1 thread 575; with other work running, 2 threads 80–170 vs
 * 1 thread 300–440. Larger models run long enough matrix-vector products that all cores pay
 * off (135M fp32, 513 MB: 33 vs 22 tok/s; int8, 128 MB: 62–74 vs 56), so they get one session.
 */
export const SINGLE_THREAD_MAX_WEIGHT_BYTES = 64 * 2 ** 20;

/**
 * The other processes' CPU use (in cores) above which a small model steps on its
 * single-threaded session. Sampled at most every `LOAD_SAMPLE_MS`.
 */
export const BUSY_OTHER_CORES = 0.25;
const LOAD_SAMPLE_MS = 250;

/** Which sessions a model gets: its configured thread count, or all cores plus (small models) a single-threaded one. */
export function threadPlan(configured: number, modelBytes: number): { threads: number; alsoSingle: boolean } {
  if (configured > 0) return { threads: configured, alsoSingle: false };
  return { threads: 0, alsoSingle: modelBytes < SINGLE_THREAD_MAX_WEIGHT_BYTES && availableParallelism() > 1 };
}

/**
 * How busy the rest of the machine is, in cores: other processes' CPU time since the previous
 * sample, plus cores claimed by long-running work in this process (a training session: see
 * src/util/cpu-claims.ts), which `process.cpuUsage()` cannot tell apart from our own steps.
 */
class OtherLoad {
  private last = this.read();
  private value = 0;

  busyCores(): number {
    if (performance.now() - this.last.wallMs < LOAD_SAMPLE_MS) return this.value + claimedCores();
    const now = this.read();
    this.value = Math.max(0, (now.busyMs - this.last.busyMs - (now.ownMs - this.last.ownMs)) / (now.wallMs - this.last.wallMs));
    this.last = now;
    return this.value + claimedCores();
  }

  private read() {
    // Niced processes count too: measured, they still slow a spinning thread pool down at times.
    let busyMs = 0;
    for (const { times } of cpus()) busyMs += times.user + times.nice + times.sys + times.irq;
    const own = process.cpuUsage();
    return { wallMs: performance.now(), busyMs, ownMs: (own.user + own.system) / 1000 };
  }
}

/** The KV cache between steps: `length` positions, behind an opaque handle. */
export interface KvCache {
  readonly length: number;
}

export interface StepResult {
  /** Logits of the last position only, [vocab]. */
  logits: Float32Array;
  cache: KvCache;
}

/** A cache as the previous step's present.* tensors (graphs without new_key_values outputs). */
interface PresentCache extends KvCache {
  readonly tensors: Record<string, ort.Tensor>;
}

/**
 * Growable cache buffers, one [kvHeads, capacity, headDim] array per past input. Rows at and
 * beyond `length` are zero or stale and masked out. Several KvCache handles may share a store;
 * only the one whose length equals the store's may append in place (others copy first).
 */
interface KvStore {
  capacity: number;
  length: number;
  buffers: Float32Array[];
  /** The past_key_values feeds: the buffers whole, [1, kvHeads, capacity, headDim]. */
  feeds: Record<string, ort.Tensor>;
  /** attention_mask for a one-token step: ones for the cache's rows and the new token, zeros for spare rows. */
  decodeMask: ort.Tensor;
}

interface StoreCache extends KvCache {
  readonly store: KvStore;
}

/**
 * Spare rows added whenever the cache grows: at least this many, or an eighth of the rows
 * needed. Spare rows are masked but still read by attention every step, so the margin stays
 * small; copying on growth is rare next to that (135M at 2,048 positions: ~0.7 MB copied per
 * token on average against ~94 MB of cache read per token).
 */
const CACHE_GROWTH_ROWS = 64;

function pastName(layer: number, kind: 'key' | 'value'): string {
  return `past_key_values.${layer}.${kind}`;
}

function newRowsName(layer: number, kind: 'key' | 'value'): string {
  return `new_key_values.${layer}.${kind}`;
}

const KINDS = ['key', 'value'] as const;

export class DecoderSession {
  private readonly emptyCache: PresentCache;
  private readonly keepsLogits: boolean;
  private readonly hasPositionIds: boolean;
  /** Outputs fetched per step when the graph reports each step's new rows; undefined otherwise. */
  private readonly appendFetches: string[] | undefined;

  /** Steps run on each session so far (the single-threaded one exists for small models only). */
  readonly stepsOn = { parallel: 0, single: 0 };
  private readonly load = new OtherLoad();

  private constructor(
    /** All cores (or the configured thread count). */
    private readonly session: ort.InferenceSession,
    /** One thread, for steps while other processes keep the cores busy. */
    private readonly single: ort.InferenceSession | undefined,
    readonly shape: DecoderShape,
    readonly source: string,
    /** Intra-op threads of the main session (0 = one per core). */
    readonly threads: number,
  ) {
    this.keepsLogits = session.inputNames.includes('num_logits_to_keep');
    this.hasPositionIds = session.inputNames.includes('position_ids');
    const tensors: Record<string, ort.Tensor> = {};
    const newRows = ['logits'];
    for (let i = 0; i < shape.layers; i++) {
      for (const kind of KINDS) {
        tensors[pastName(i, kind)] = new ort.Tensor('float32', new Float32Array(0), [1, shape.kvHeads, 0, shape.headDim]);
        newRows.push(newRowsName(i, kind));
      }
    }
    this.emptyCache = { length: 0, tensors };
    // Appending needs explicit positions: the spare rows would otherwise shift them.
    const stacked = session.outputNames.includes(NEW_ROWS_OUTPUT);
    const perLayer = newRows.every((name) => session.outputNames.includes(name));
    this.appendFetches = this.hasPositionIds && (stacked || perLayer) ? (stacked ? ['logits', NEW_ROWS_OUTPUT] : newRows) : undefined;
  }

  /** Loads and checks a decoder; any failure is `model_corrupt` naming `source`. */
  static async load(
    model: string | Uint8Array,
    shape: DecoderShape,
    settings: SessionSettings,
    source = typeof model === 'string' ? model : 'model bytes',
  ): Promise<DecoderSession> {
    const plan = threadPlan(settings.threads, typeof model === 'string' ? onnxModelBytes(model) : model.byteLength);
    // A file's external weights (model.onnx_data) are found beside it, also when its bytes are edited below.
    const folder = typeof model === 'string' ? dirname(model) : undefined;
    model = generatorModel(model); // our exports: num_logits_to_keep becomes an input
    const session = await createSession(model, plan.threads, source, folder);
    const problem = describeMismatch(session, shape);
    if (problem) {
      await session.release();
      throw new PersonaError('model_corrupt', `${source}: not a decoder with a KV cache as expected (${problem}).`, { file: source });
    }
    let single: ort.InferenceSession | undefined;
    try {
      single = plan.alsoSingle ? await createSession(model, 1, source, folder) : undefined;
    } catch (error) {
      await session.release();
      throw error;
    }
    return new DecoderSession(session, single, shape, source, plan.threads);
  }

  /** How many sessions hold the weights (for memory accounting). */
  get sessionCount(): number {
    return this.single ? 2 : 1;
  }

  /** Runs one step on the single-threaded session while other work keeps the cores busy, else on the main one. */
  private async run(feeds: Record<string, ort.Tensor>, fetches?: string[]): Promise<ort.InferenceSession.ReturnType> {
    const single = this.single !== undefined && this.load.busyCores() >= BUSY_OTHER_CORES;
    const session = single ? this.single! : this.session;
    if (single) this.stepsOn.single++;
    else this.stepsOn.parallel++;
    return fetches ? session.run(feeds, fetches) : session.run(feeds);
  }

  get empty(): KvCache {
    return this.emptyCache;
  }

  /**
   * Runs `ids` (new tokens, batch 1) on top of `cache`; returns the last position's logits and
   * the grown cache. Positions continue from cache.length; the caller's tokens are unpadded.
   * One step per cache chain at a time: the newest handle appends in place, so two overlapping
   * steps on it would write the same rows (generate() awaits each step before the next).
   */
  async step(ids: readonly number[], cache: KvCache): Promise<StepResult> {
    if (!this.appendFetches) return this.stepWithPresent(ids, cache as PresentCache);
    const past = cache.length;
    const store = 'store' in cache ? ownStore(cache as StoreCache) : undefined;
    let mask: ort.Tensor;
    if (!store) mask = onesMask(ids.length);
    else if (ids.length === 1) mask = store.decodeMask;
    else {
      const data = new BigInt64Array(store.capacity + ids.length).fill(1n);
      data.fill(0n, past, store.capacity);
      mask = new ort.Tensor('int64', data, [1, data.length]);
    }
    const feeds: Record<string, ort.Tensor> = {
      ...(store ? store.feeds : this.emptyCache.tensors),
      input_ids: idsTensor(ids),
      attention_mask: mask,
      position_ids: new ort.Tensor(
        'int64',
        BigInt64Array.from(ids, (_, i) => BigInt(past + i)),
        [1, ids.length],
      ),
    };
    if (this.keepsLogits) feeds.num_logits_to_keep = new ort.Tensor('int64', BigInt64Array.of(1n), []);
    const out = await this.run(feeds, this.appendFetches);
    const target = store && store.capacity >= past + ids.length ? store : this.grownStore(store, past, past + ids.length);
    const { kvHeads, headDim } = this.shape;
    const rowFloats = ids.length * headDim;
    const stacked = out[NEW_ROWS_OUTPUT]?.data as Float32Array | undefined; // [2·layers, ids.length, kvHeads, headDim]
    for (let i = 0, b = 0; i < this.shape.layers; i++) {
      for (const kind of KINDS) {
        const buffer = target.buffers[b++];
        if (stacked) {
          const rows = stacked.subarray((b - 1) * kvHeads * rowFloats, b * kvHeads * rowFloats);
          for (let t = 0; t < ids.length; t++)
            for (let h = 0; h < kvHeads; h++)
              buffer.set(rows.subarray((t * kvHeads + h) * headDim, (t * kvHeads + h + 1) * headDim), (h * target.capacity + past + t) * headDim);
          continue;
        }
        const rows = out[newRowsName(i, kind)].data as Float32Array; // older exports: [1, kvHeads, ids.length, headDim]
        for (let h = 0; h < kvHeads; h++) buffer.set(rows.subarray(h * rowFloats, (h + 1) * rowFloats), (h * target.capacity + past) * headDim);
      }
    }
    (target.decodeMask.data as BigInt64Array).fill(1n, past, past + ids.length);
    target.length = past + ids.length;
    const newCache: StoreCache = { length: target.length, store: target };
    return { logits: this.lastLogits(out.logits.data as Float32Array), cache: newCache };
  }

  /** A store holding `keep` rows of `from` (if any) with room for at least `needed` rows. */
  private grownStore(from: KvStore | undefined, keep: number, needed: number): KvStore {
    const { kvHeads, headDim, layers } = this.shape;
    const capacity = needed + Math.max(CACHE_GROWTH_ROWS, Math.ceil(needed / 8));
    const buffers: Float32Array[] = [];
    const feeds: Record<string, ort.Tensor> = {};
    for (let i = 0, b = 0; i < layers; i++) {
      for (const kind of KINDS) {
        const buffer = new Float32Array(kvHeads * capacity * headDim);
        const old = from?.buffers[b];
        if (from && old)
          for (let h = 0; h < kvHeads; h++) buffer.set(old.subarray(h * from.capacity * headDim, (h * from.capacity + keep) * headDim), h * capacity * headDim);
        buffers[b++] = buffer;
        feeds[pastName(i, kind)] = new ort.Tensor('float32', buffer, [1, kvHeads, capacity, headDim]);
      }
    }
    const mask = new BigInt64Array(capacity + 1);
    mask.fill(1n, 0, keep);
    mask[capacity] = 1n;
    return { capacity, length: keep, buffers, feeds, decodeMask: new ort.Tensor('int64', mask, [1, capacity + 1]) };
  }

  private async stepWithPresent(ids: readonly number[], cache: PresentCache): Promise<StepResult> {
    const total = cache.length + ids.length;
    const feeds: Record<string, ort.Tensor> = { ...cache.tensors, input_ids: idsTensor(ids), attention_mask: onesMask(total) };
    if (this.hasPositionIds)
      feeds.position_ids = new ort.Tensor(
        'int64',
        BigInt64Array.from(ids, (_, i) => BigInt(cache.length + i)),
        [1, ids.length],
      );
    if (this.keepsLogits) feeds.num_logits_to_keep = new ort.Tensor('int64', BigInt64Array.of(1n), []);
    const out = await this.run(feeds);
    const tensors: Record<string, ort.Tensor> = {};
    for (let i = 0; i < this.shape.layers; i++) {
      for (const kind of KINDS) tensors[pastName(i, kind)] = out[`present.${i}.${kind}`] as ort.Tensor;
    }
    const next: PresentCache = { length: total, tensors };
    return { logits: this.lastLogits(out.logits.data as Float32Array), cache: next };
  }

  private lastLogits(logits: Float32Array): Float32Array {
    const V = this.shape.vocabSize;
    return logits.length === V ? logits : logits.subarray(logits.length - V);
  }

  /** All-position logits [seq, vocab] for a prompt (scoring and the train/inference agreement test). */
  async scoreAll(ids: readonly number[]): Promise<Float32Array> {
    const feeds: Record<string, ort.Tensor> = { ...this.emptyCache.tensors, input_ids: idsTensor(ids), attention_mask: onesMask(ids.length) };
    if (this.hasPositionIds)
      feeds.position_ids = new ort.Tensor(
        'int64',
        BigInt64Array.from(ids, (_, i) => BigInt(i)),
        [1, ids.length],
      );
    if (this.keepsLogits) feeds.num_logits_to_keep = new ort.Tensor('int64', BigInt64Array.of(0n), []);
    const out = await this.session.run(feeds, ['logits']);
    return out.logits.data as Float32Array;
  }

  async release(): Promise<void> {
    try {
      await this.single?.release();
    } finally {
      await this.session.release();
    }
  }
}

function idsTensor(ids: readonly number[]): ort.Tensor {
  return new ort.Tensor('int64', BigInt64Array.from(ids, BigInt), [1, ids.length]);
}

function onesMask(length: number): ort.Tensor {
  return new ort.Tensor('int64', new BigInt64Array(length).fill(1n), [1, length]);
}

/**
 * The store `cache` may append to: its own when it is the store's newest handle; otherwise
 * (an older handle stepped again) a copy of its rows, so the newer handle stays valid.
 */
function ownStore(cache: StoreCache): KvStore {
  const { store } = cache;
  if (store.length === cache.length) return store;
  const buffers = store.buffers.map((b) => b.slice());
  const feeds: Record<string, ort.Tensor> = {};
  let b = 0;
  for (const [name, tensor] of Object.entries(store.feeds)) feeds[name] = new ort.Tensor('float32', buffers[b++], tensor.dims);
  const mask = new BigInt64Array(store.capacity + 1);
  mask.fill(1n, 0, cache.length);
  mask[store.capacity] = 1n;
  return { capacity: store.capacity, length: cache.length, buffers, feeds, decodeMask: new ort.Tensor('int64', mask, [1, store.capacity + 1]) };
}

/** `folder`: where the model's external data files are (ONNX Runtime cannot tell for a model given as bytes). */
async function createSession(model: string | Uint8Array, threads: number, source: string, folder?: string): Promise<ort.InferenceSession> {
  const options: ort.InferenceSession.SessionOptions = {
    graphOptimizationLevel: 'all',
    executionMode: 'sequential',
    interOpNumThreads: 1,
    ...(threads > 0 ? { intraOpNumThreads: threads } : {}),
    ...(folder ? { extra: { session: { model_external_initializers_file_folder_path: folder } } } : {}),
  };
  try {
    return await withProviderFallback((executionProviders) => {
      const withProviders = executionProviders ? { ...options, executionProviders } : options;
      return typeof model === 'string' ? ort.InferenceSession.create(model, withProviders) : ort.InferenceSession.create(model, withProviders);
    });
  } catch (error) {
    throw new PersonaError(
      'model_corrupt',
      `${source}: ONNX Runtime could not load the model (${(error as Error).message.split('\n')[0]}).`,
      { file: source },
      { cause: error },
    );
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
  if (typeof vocab === 'number' && vocab !== shape.vocabSize)
    return `logits have ${vocab} entries per token but config.json's vocab_size is ${shape.vocabSize}`;
  return undefined;
}
