/**
 * LoRA adapters in PEFT's layout: for each targeted Linear `…<module>.weight` [out, in],
 * `base_model.model.<prefix>.<module>.lora_A.weight` [r, in] and `…lora_B.weight` [out, r],
 * y = x·Wᵀ + (alpha / r) · dropout(x)·Aᵀ·Bᵀ. A starts kaiming-uniform and B at zero, so a
 * fresh adapter leaves the model unchanged (PEFT's defaults).
 *
 * Also the adapter's part of the training graph (`loraGraph`, called by llama.ts for every
 * Linear) and its dropout masks (`LoraDropoutMasks`, drawn outside the graph so a resumed
 * run draws the same ones).
 */
import type { LlamaConfig } from '../modelfmt/hf-config.js';
import { PersonaError } from '../errors.js';
import { llamaParameterShapes } from '../modelfmt/hf-config.js';
import { LORA_MODULES } from '../modelfmt/arch/spec.js';
import { StreamRng } from '../util/random.js';
import * as T from './graph/api.js';
import type { Graph, Tensor } from './graph/ir.js';
import { mulberry32 } from '../util/random.js';

export interface LoraOptions {
  r: number;
  alpha: number;
  dropout: number;
  targetModules: string[];
}

export { LORA_MODULES };

export function validateLora(lora: LoraOptions | undefined): LoraOptions {
  if (!lora) throw new PersonaError('invalid_argument', 'method "lora" needs lora options (r, alpha, dropout, targetModules).', { field: 'lora' });
  if (!Number.isInteger(lora.r) || lora.r < 1)
    throw new PersonaError('invalid_argument', `lora.r must be a positive integer, got ${lora.r}.`, { field: 'lora.r' });
  if (!(lora.alpha > 0)) throw new PersonaError('invalid_argument', `lora.alpha must be positive, got ${lora.alpha}.`, { field: 'lora.alpha' });
  if (!(lora.dropout >= 0 && lora.dropout < 1))
    throw new PersonaError('invalid_argument', `lora.dropout must be in [0, 1), got ${lora.dropout}.`, { field: 'lora.dropout' });
  if (lora.targetModules.length === 0)
    throw new PersonaError('invalid_argument', `lora.targetModules is empty (choices: ${LORA_MODULES.join(', ')}).`, { field: 'lora.targetModules' });
  for (const m of lora.targetModules) {
    if (!(LORA_MODULES as readonly string[]).includes(m)) {
      throw new PersonaError('invalid_argument', `lora.targetModules: "${m}" is not a linear module of these models (choices: ${LORA_MODULES.join(', ')}).`, {
        field: 'lora.targetModules',
      });
    }
  }
  return lora;
}

/** PEFT key of the A or B matrix for the base weight `model.layers.N.….weight`. */
export const loraName = (baseWeight: string, which: 'A' | 'B') => `base_model.model.${baseWeight.replace(/\.weight$/, '')}.lora_${which}.weight`;

/** Base weights the adapter targets, with their [out, in] shapes (never biases: those stay frozen). */
export function loraTargets(config: LlamaConfig, lora: LoraOptions): [string, number[]][] {
  return [...llamaParameterShapes(config)].filter(([name]) => lora.targetModules.some((m) => name.endsWith(`.${m}.weight`)));
}

export function loraParameterShapes(config: LlamaConfig, lora: LoraOptions): Map<string, number[]> {
  const shapes = new Map<string, number[]>();
  for (const [name, [out, inp]] of loraTargets(config, lora)) {
    shapes.set(loraName(name, 'A'), [lora.r, inp]);
    shapes.set(loraName(name, 'B'), [out, lora.r]);
  }
  return shapes;
}

/** A ~ U(-1/√in, 1/√in) (kaiming_uniform with a = √5, as PEFT), B = 0. */
export function initLoraParams(config: LlamaConfig, lora: LoraOptions, seed: number): Map<string, Float32Array> {
  validateLora(lora);
  const random = mulberry32(seed);
  const params = new Map<string, Float32Array>();
  for (const [name, shape] of loraParameterShapes(config, lora)) {
    const data = new Float32Array(shape[0] * shape[1]);
    if (name.endsWith('lora_A.weight')) {
      const bound = 1 / Math.sqrt(shape[1]);
      for (let i = 0; i < data.length; i++) data[i] = (random() * 2 - 1) * bound;
    }
    params.set(name, data);
  }
  return params;
}

/** Modules that read the same input: their A matrices run as one Gemm (x·[A_q; A_k; A_v]ᵀ). */
const SHARED_INPUT: Record<string, string> = { q_proj: 'qkv', k_proj: 'qkv', v_proj: 'qkv', gate_proj: 'gate_up', up_proj: 'gate_up' };
/**
 * Modules whose merged weight W + s·B·A stays alive until the backward, so dx = dy·W′ is one
 * Gemm. The others recompute dx as dy·W + dxa·A and keep only W: keeping all of them raised
 * 135M peak RSS from 2.9 to 3.9 GiB (ORT's arena growth) for ~1% more speed.
 */
const KEEP_MERGED = new Set(['gate_proj', 'up_proj', 'down_proj']);

/** Whether a targeted [out, in] weight is merged (W + s·B·A) for `rows` rows (see loraGraph). */
const mergesWeight = ([out, inp]: number[], rows: number) => rows * (out + inp) >= out * inp;

/**
 * Bytes of merged weights a training step holds (memory-plan.ts): ONNX Runtime forms every
 * merge at the start of the step (they read graph inputs only), and gate/up/down's stay
 * until the backward.
 */
export function mergedWeightBytes(config: LlamaConfig, lora: LoraOptions, rows: number): number {
  if (lora.dropout > 0) return 0;
  let bytes = 0;
  for (const [name, shape] of loraTargets(config, lora)) {
    if (mergesWeight(shape, rows)) bytes += shape[0] * shape[1] * 4 * (KEEP_MERGED.has(moduleOf(name)) ? 2 : 1);
  }
  return bytes;
}

const moduleOf = (weight: string) =>
  weight
    .replace(/\.weight$/, '')
    .split('.')
    .pop()!;

/** Name of the dropout keep-mask input of a targeted base weight (bool, [rows, in]). */
export const loraMaskName = (baseWeight: string) => `lora_dropout_mask:${baseWeight}`;

export interface LoraGraphOptions {
  /** Training graph with lora.dropout > 0: the LoRA input is x masked by a fed keep-mask. */
  dropout: boolean;
  /** Rows of x (batch × sequence). */
  rows: number;
}

export interface LoraLinear {
  targets(weight: string): boolean;
  /** x·Wᵀ (+ residual) plus the adapter's path for the targeted base weight `name` (tensor w). */
  linear(x: Tensor, name: string, w: Tensor, residual?: Tensor): Tensor;
}

/**
 * The adapter in the graph. `register` receives every adapter input (PEFT names) as it is
 * created. Without dropout the adapter is merged into the weight each step,
 * W′ = W + s·B·A (a rank-r Gemm over [out, in], cheaper than the (rows, out) pass of adding
 * s·(x·Aᵀ)·Bᵀ to the output), and the backward is written by hand: dB = s·dyᵀ·xa,
 * dxa = s·dy·B, dA = dxaᵀ·x, with xa = x·Aᵀ computed once per group of modules sharing x.
 * With dropout (training only) each module keeps its own path on x ∘ mask, the 1/(1−p) of
 * inverted dropout folded into the Gemm's alpha.
 */
export function loraGraph(
  g: Graph,
  config: LlamaConfig,
  lora: LoraOptions,
  options: LoraGraphOptions,
  register: (name: string, t: Tensor) => void,
): LoraLinear {
  const scale = lora.alpha / lora.r;
  const masked = options.dropout && lora.dropout > 0;
  const targets = new Map(loraTargets(config, lora));
  const adapter = new Map<string, { a: Tensor; b: Tensor }>();
  /**
   * Merging pays when the [out, in] weight is smaller than the (rows, out + in) passes the
   * separate path adds: the bundled base and 135M shapes merge; at 0.5–1B with a 512-token
   * micro-batch the merged weights (kept alive for the backward: 1.25 GB at Qwen2.5-0.5B,
   * 3.2 GB at Llama-3.2-1B) and the rank-r merge Gemms cost more than they save.
   */
  const merges = (name: string) => !masked && mergesWeight(targets.get(name)!, options.rows);
  const adapterOf = (name: string) => {
    let found = adapter.get(name);
    if (!found) {
      const [out, inp] = targets.get(name)!;
      found = { a: g.input(loraName(name, 'A'), [lora.r, inp], { trainable: true }), b: g.input(loraName(name, 'B'), [out, lora.r], { trainable: true }) };
      register(loraName(name, 'A'), found.a);
      register(loraName(name, 'B'), found.b);
      adapter.set(name, found);
    }
    return found;
  };
  /** `model.layers.N.mlp.gate_up` for gate_proj and up_proj, `….o_proj` for o_proj. */
  const groupOf = (name: string) => {
    const module = moduleOf(name);
    return name.slice(0, name.length - `${module}.weight`.length) + (SHARED_INPUT[module] ?? module);
  };
  /**
   * xa = x·Aᵀ of every targeted module of a group (one Gemm), by weight name. A group whose
   * members were all read is built again for a new input (a checkpointed layer's recompute).
   */
  const groups = new Map<string, { x: Tensor; xa: Map<string, Tensor>; read: Set<string> }>();
  const groupXa = (x: Tensor, name: string): Tensor => {
    const key = groupOf(name);
    let group = groups.get(key);
    if (group && group.x !== x && group.read.size === group.xa.size) group = undefined;
    if (!group) {
      const members = [...targets.keys()].filter((t) => groupOf(t) === key && merges(t));
      const as = members.map((m) => adapterOf(m).a);
      const aCat = as.length === 1 ? as[0] : T.concat(as, 0);
      let xa = T.gemm(x, aCat, { transB: true }); // (rows, k·r)
      // With the merged weight kept, dx comes whole from dy·W′: xa passes a gradient to A only.
      if (KEEP_MERGED.has(moduleOf(name))) xa = T.customGrad(xa, [aCat], (dxa) => [T.gemm(dxa, x, { transA: true })]);
      const parts =
        members.length === 1
          ? [xa]
          : T.split(
              xa,
              1,
              members.map(() => lora.r),
            );
      group = { x, xa: new Map(members.map((m, i) => [m, parts[i]])), read: new Set() };
      groups.set(key, group);
    }
    if (group.x !== x) throw new Error(`loraGraph: ${name} reads another input than the rest of ${key}`);
    group.read.add(name);
    return group.xa.get(name)!;
  };

  /** One keep-mask input per module, read again by a checkpointed layer's recompute. */
  const masks = new Map<string, Tensor>();
  const maskOf = (name: string, inp: number) => {
    let mask = masks.get(name);
    if (!mask) masks.set(name, (mask = g.input(loraMaskName(name), [options.rows, inp], { dtype: 'bool' })));
    return mask;
  };

  return {
    targets: (name) => targets.has(name),
    linear(x, name, w, residual) {
      const { a, b } = adapterOf(name);
      if (!merges(name)) {
        const mask = masked ? maskOf(name, w.shape[1]) : undefined;
        // Cast + Mul: ONNX Runtime's Where is single-threaded (2.5× slower here).
        const xa = T.gemm(mask ? T.mul(x, T.cast(mask, x.dtype)) : x, a, { transB: true });
        const base = T.gemm(x, w, { transB: true, c: residual });
        return T.gemm(xa, b, { transB: true, alpha: scale / (1 - (masked ? lora.dropout : 0)), c: base });
      }
      const xa = groupXa(x, name);
      const merged = T.gemm(b, a, { alpha: scale, c: w }); // W + s·B·A, [out, in]
      const y = T.gemm(x, merged, { transB: true, c: residual });
      const keep = KEEP_MERGED.has(moduleOf(name));
      return T.customGrad(y, residual ? [x, xa, b, residual] : [x, xa, b], (dy) => {
        const grads = [T.gemm(dy, keep ? merged : w), T.gemm(dy, b, { alpha: scale }), T.gemm(dy, xa, { transA: true, alpha: scale })];
        return residual ? [...grads, dy] : grads;
      });
    },
  };
}

/**
 * The keep-masks of LoRA dropout, one bool [rows, in] per targeted module, drawn with the
 * project's PRNG from (seed, draw) alone — the trainer passes a draw number per step and
 * micro-batch — so a run resumed from a checkpoint draws exactly the masks an uninterrupted
 * run would have. Cheap: the buffers are set to 1 and only the dropped positions (a
 * fraction p) are drawn, as geometric gaps between them (one uniform each, mapped through a
 * table of the gap's CDF; the far tail through the logarithm).
 */
export class LoraDropoutMasks {
  readonly masks: { name: string; dims: number[]; data: Uint8Array }[];
  /** cdf[k] = P(gap ≤ k) = 1 − (1 − p)^(k+1); first[j] = the smallest k with cdf[k] > j / BUCKETS. */
  private readonly cdf: Float64Array;
  private readonly first: Uint32Array;
  private readonly logKeep: number;

  constructor(config: LlamaConfig, lora: LoraOptions, rows: number) {
    this.masks = loraTargets(config, lora).map(([name, [, inp]]) => ({ name: loraMaskName(name), dims: [rows, inp], data: new Uint8Array(rows * inp) }));
    this.logKeep = Math.log1p(-lora.dropout);
    const tail = 1 - TAIL_BUCKETS / BUCKETS;
    this.cdf = Float64Array.from({ length: Math.ceil(Math.log1p(-tail) / this.logKeep) + 1 }, (_, k) => -Math.expm1((k + 1) * this.logKeep));
    this.first = new Uint32Array(BUCKETS - TAIL_BUCKETS);
    for (let j = 0, k = 0; j < this.first.length; j++) {
      while (this.cdf[k] <= j / BUCKETS) k++;
      this.first[j] = k;
    }
  }

  fill(seed: number, draw: number): this {
    const rng = new StreamRng(seed, draw);
    const { cdf, first, logKeep } = this;
    /** Kept positions before the next dropped one: the smallest k with u < cdf[k]. */
    const gap = () => {
      const u = rng.next();
      const j = Math.floor(u * BUCKETS);
      if (j >= first.length) return Math.floor(Math.log1p(-u) / logKeep);
      let k = first[j];
      while (u >= cdf[k]) k++;
      return k;
    };
    let next = gap();
    for (const { data } of this.masks) {
      data.fill(1);
      for (; next < data.length; next += 1 + gap()) data[next] = 0;
      next -= data.length;
    }
    return this;
  }
}

const BUCKETS = 4096;
const TAIL_BUCKETS = 16;
