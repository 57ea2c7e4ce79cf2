/**
 * The machine's MatMul peak through ONNX Runtime: the best throughput over square sizes
 * 256–2048 with the same thread settings as training, the denominator of every training
 * efficiency figure (benchmarks report ratios, not absolute GFLOPS).
 */
import { OnnxGraphBuilder } from '../../modelfmt/onnx/onnx-builder.js';
import { GraphRunner } from '../runtime.js';

export interface PeakResult {
  gflops: number;
  /** GFLOP per CPU-second (user + system, all threads): comparable across machine load. */
  cpuGflops: number;
  sizes: { n: number; gflops: number; cpuGflops: number }[];
}

export async function measureMatMulPeak(sizes = [256, 512, 1024, 2048], secondsPerSize = 1): Promise<PeakResult> {
  const results: { n: number; gflops: number; cpuGflops: number }[] = [];
  for (const n of sizes) {
    const b = new OnnxGraphBuilder('matmul_peak');
    b.input('a', 'float32', [n, n]);
    b.input('b', 'float32', [n, n]);
    b.op('MatMul', ['a', 'b'], {}, 'c');
    b.output('c', 'float32', [n, n]);
    const runner = await GraphRunner.create(b.toBytes());
    const data = new Float32Array(n * n).map((_, i) => ((i % 17) - 8) / 8);
    const feeds = new Map([
      ['a', { dtype: 'float32' as const, dims: [n, n], data }],
      ['b', { dtype: 'float32' as const, dims: [n, n], data }],
    ]);
    await runner.run(feeds, ['c']);
    let best = Infinity;
    let runs = 0;
    const cpu0 = process.cpuUsage();
    const until = performance.now() + secondsPerSize * 1000;
    for (; runs < 3 || performance.now() < until; runs++) {
      const t0 = performance.now();
      await runner.run(feeds, ['c']);
      best = Math.min(best, (performance.now() - t0) / 1000);
    }
    const cpu = process.cpuUsage(cpu0);
    await runner.release();
    results.push({ n, gflops: (2 * n ** 3) / best / 1e9, cpuGflops: (2 * n ** 3 * runs) / ((cpu.user + cpu.system) / 1e6) / 1e9 });
  }
  return { gflops: Math.max(...results.map((r) => r.gflops)), cpuGflops: Math.max(...results.map((r) => r.cpuGflops)), sizes: results };
}
