/**
 * The Gemm-only ceiling of a training step: every Gemm/MatMul the step executes (shape,
 * transposes, C input), each timed alone through ONNX Runtime with the training session's
 * settings, its kernel time read from ONNX Runtime's profiler (no run or output-copy
 * overhead). Summing count × time over the step gives the time the matrix products alone
 * need; the model's FLOPs over that time is the efficiency the step would reach if every
 * other kernel (elementwise, softmax, copies) were free. If that is below a target, no
 * amount of fusion outside the matmuls reaches it.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OnnxGraphBuilder, float } from '../../modelfmt/onnx/onnx-builder.js';
import type { LlamaConfig } from '../../modelfmt/hf-config.js';
import { liveNodes } from '../graph/emit.js';
import type { Tensor } from '../graph/ir.js';
import type { LlamaGraphOptions } from '../llama.js';
import { GraphRunner, type Feed, type RunnerOptions } from '../runtime.js';
import { buildTrainIR } from '../step-model.js';

/** One kind of matrix product in the step: inputs as the kernel sees them, how often it runs. */
export interface MatmulKind {
  op: 'Gemm' | 'MatMul';
  out: number[];
  /** Input shapes before any transpose; for MatMul, `transA`/`transB` mean the input is a Transpose of its last two axes (ONNX Runtime fuses it into FusedMatMul). */
  a: number[];
  b: number[];
  c?: number[];
  transA: boolean;
  transB: boolean;
  alpha: number;
  count: number;
  /** FLOPs of one execution (2·M·N·K per batch element). */
  flops: number;
}

export interface TimedMatmul extends MatmulKind {
  /** Median kernel time of one execution, seconds. */
  seconds: number;
  gflops: number;
}

export interface GemmCeiling {
  kinds: TimedMatmul[];
  /** Matmul FLOPs actually executed per step (causal blocks, GEMVs included). */
  executedFlops: number;
  /** Σ count × median kernel time, seconds per step. */
  seconds: number;
}

const swapLast = (perm: unknown, rank: number) =>
  Array.isArray(perm) && perm.length === rank && perm.every((p, i) => (i < rank - 2 ? p === i : p === (i === rank - 2 ? rank - 1 : rank - 2)));

/** The matrix products of one training step of `config`, grouped by kind, in first-execution order. */
export function stepMatmuls(config: LlamaConfig, options: LlamaGraphOptions): MatmulKind[] {
  const { graph, outputs } = buildTrainIR(config, options);
  const live = liveNodes(outputs.map((o) => o.tensor));
  const kinds = new Map<string, MatmulKind>();
  for (const node of graph.nodes) {
    if (!live.has(node.id) || (node.op !== 'Gemm' && node.op !== 'MatMul')) continue;
    let kind: MatmulKind;
    if (node.op === 'Gemm') {
      const [a, b, c] = node.inputs;
      const at = node.attrs as { transA: number; transB: number; alpha: number };
      const [m, k] = at.transA ? [a.shape[1], a.shape[0]] : a.shape;
      const n = at.transB ? b.shape[0] : b.shape[1];
      kind = {
        op: 'Gemm',
        out: node.outputs[0].shape,
        a: a.shape,
        b: b.shape,
        c: c?.shape,
        transA: at.transA === 1,
        transB: at.transB === 1,
        alpha: at.alpha,
        count: 0,
        flops: 2 * m * n * k,
      };
    } else {
      // A Transpose of the last two axes feeding the MatMul is part of the kernel (FusedMatMul).
      const unT = (t: Tensor) =>
        t.node.op === 'Transpose' && swapLast(t.node.attrs.perm, t.rank) ? { shape: t.node.inputs[0].shape, trans: true } : { shape: t.shape, trans: false };
      const [a, b] = node.inputs.map(unT);
      const k = node.inputs[0].shape[node.inputs[0].rank - 1];
      kind = {
        op: 'MatMul',
        out: node.outputs[0].shape,
        a: a.shape,
        b: b.shape,
        transA: a.trans,
        transB: b.trans,
        alpha: 1,
        count: 0,
        flops: 2 * node.outputs[0].size * k,
      };
    }
    const key = JSON.stringify({ ...kind, count: 0 });
    const seen = kinds.get(key);
    if (seen) seen.count++;
    else kinds.set(key, { ...kind, count: 1 });
  }
  return [...kinds.values()];
}

function kindLabel(k: MatmulKind): string {
  const t = (shape: number[], trans: boolean) => `${trans ? 'ᵀ' : ''}[${shape.join('×')}]`;
  return `${k.op} ${t(k.a, k.transA)}·${t(k.b, k.transB)}${k.c ? ` + C[${k.c.join('×')}]` : ''}`;
}

/** A one-node model of `kind` (plus the Transposes ONNX Runtime fuses into a MatMul). */
function kindModel(k: MatmulKind): { bytes: Uint8Array; feeds: Map<string, Feed> } {
  const b = new OnnxGraphBuilder('matmul_kind');
  const feeds = new Map<string, Feed>();
  const input = (name: string, dims: number[]) => {
    const size = dims.reduce((x, y) => x * y, 1);
    feeds.set(name, { dtype: 'float32', dims, data: new Float32Array(size).map((_, i) => ((i % 17) - 8) / 64) });
    return b.input(name, 'float32', dims);
  };
  const ins = [input('a', k.a), input('b', k.b), ...(k.c ? [input('c', k.c)] : [])];
  let y: string;
  if (k.op === 'Gemm') {
    y = b.op('Gemm', ins, { transA: k.transA ? 1 : 0, transB: k.transB ? 1 : 0, alpha: float(k.alpha), beta: float(1) }, 'y');
  } else {
    const swap = (name: string, rank: number) => b.op('Transpose', [name], { perm: [...Array.from({ length: rank - 2 }, (_, i) => i), rank - 1, rank - 2] });
    const a = k.transA ? swap(ins[0], k.a.length) : ins[0];
    const bb = k.transB ? swap(ins[1], k.b.length) : ins[1];
    y = b.op('MatMul', [a, bb], {}, 'y');
  }
  b.output(y, 'float32', k.out);
  return { bytes: b.toBytes(), feeds };
}

const MATMUL_OPS = new Set(['Gemm', 'MatMul', 'FusedMatMul']);

/**
 * Times each kind alone: `minRuns` runs at least, then until `secondsPerKind` have passed,
 * with profiling on; the median over runs (after one warm-up) of the matmul kernel time.
 */
export async function timeMatmuls(kinds: MatmulKind[], runner: RunnerOptions, secondsPerKind = 0.25, minRuns = 5): Promise<TimedMatmul[]> {
  const timed: TimedMatmul[] = [];
  for (const kind of kinds) {
    const dir = mkdtempSync(join(tmpdir(), 'gemm-ceiling-'));
    try {
      const { bytes, feeds } = kindModel(kind);
      const session = await GraphRunner.create(bytes, { ...runner, profilePrefix: join(dir, 'p') });
      let runs = 0;
      const until = performance.now() + secondsPerKind * 1000;
      for (; runs < minRuns + 1 || performance.now() < until; runs++) await session.run(feeds, ['y']);
      session.endProfiling();
      await session.release();
      const file = readdirSync(dir).find((f) => f.endsWith('.json'))!;
      const events = JSON.parse(readFileSync(join(dir, file), 'utf8')) as { cat?: string; name?: string; dur?: number; args?: { op_name?: string } }[];
      const perRun = events
        .filter((e) => e.cat === 'Node' && e.name?.endsWith('_kernel_time') && MATMUL_OPS.has(e.args?.op_name ?? ''))
        .map((e) => (e.dur ?? 0) / 1e6);
      const steady = perRun.slice(1).sort((x, y) => x - y);
      const seconds = steady[Math.floor(steady.length / 2)];
      timed.push({ ...kind, seconds, gflops: kind.flops / seconds / 1e9 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return timed;
}

export async function measureGemmCeiling(
  config: LlamaConfig,
  options: LlamaGraphOptions,
  runner: RunnerOptions,
  secondsPerKind?: number,
): Promise<GemmCeiling> {
  const kinds = await timeMatmuls(stepMatmuls(config, options), runner, secondsPerKind);
  return {
    kinds,
    executedFlops: kinds.reduce((s, k) => s + k.count * k.flops, 0),
    seconds: kinds.reduce((s, k) => s + k.count * k.seconds, 0),
  };
}

/** The ceiling as text: per kind (largest share first) and the totals against `peakGflops` and the model's FLOPs per step. */
export function formatGemmCeiling(c: GemmCeiling, modelFlops: number, peakGflops: number, top = 12): string {
  const pct = (x: number) => `${((100 * x) / peakGflops).toFixed(0)}%`;
  const rows = [...c.kinds]
    .sort((x, y) => y.count * y.seconds - x.count * x.seconds)
    .slice(0, top)
    .map(
      (k) =>
        `  ${kindLabel(k).padEnd(52)} ×${String(k.count).padStart(3)} ${(k.count * k.seconds * 1000).toFixed(1).padStart(7)} ms ${k.gflops.toFixed(0).padStart(5)} GFLOPS ${pct(k.gflops).padStart(4)}`,
    );
  return [
    `Gemm-only ceiling: ${c.kinds.length} matmul kinds, ${c.kinds.reduce((s, k) => s + k.count, 0)} per step, ${(c.seconds * 1000).toFixed(0)} ms of kernel time for ${(c.executedFlops / 1e9).toFixed(1)} GFLOP executed = ${(c.executedFlops / c.seconds / 1e9).toFixed(1)} GFLOPS (${pct(c.executedFlops / c.seconds / 1e9)} of peak); model FLOPs ${(modelFlops / 1e9).toFixed(1)} GFLOP / matmul time = ${(modelFlops / c.seconds / 1e9).toFixed(1)} GFLOPS = ${pct(modelFlops / c.seconds / 1e9)} of peak (the step's ceiling if nothing else took time)`,
    ...rows,
  ].join('\n');
}
