/**
 * `npx tsx scripts/profile-decode.ts [--shape 135m|base] [--quant fp32|int8|...] [--threads 1] [--prompt 256]`:
 * where a decode step's time goes, from ONNX Runtime's own profiler. Exports the shape's graph
 * (random weights, or models/base for `base`), prefills `--prompt` tokens (256), then runs decode steps
 * the way our generator does (cache fed whole, only logits and new_key_values fetched) and
 * sums the profiler's per-node kernel times over the decode steps by operator type, printing
 * ms per step beside the weight bytes each op type reads. Used for docs/benchmarks.md's
 * decode notes; not a benchmark (the profiler itself adds overhead per node).
 */
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import { mulberry32 } from '../src/util/random.js';
import { parseLlamaConfig, readLlamaConfig } from '../src/modelfmt/hf-config.js';
import { exportInferenceOnnx } from '../src/modelfmt/onnx/onnx-export.js';
import type { InferenceGraphOptions } from '../src/modelfmt/onnx/graph-format.js';
import { generatorModel } from '../src/modelfmt/onnx/logits-to-keep.js';
import { BUNDLED_BASE, SMOLLM2_135M } from './lib/model-shapes.js';
import { benchWeights } from './lib/bench-weights.js';

const argv = process.argv.slice(2);
const option = (name: string, fallback: string) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : fallback;
};
const shapeName = option('shape', '135m');
const quant = option('quant', 'fp32');
const threads = Number(option('threads', '1'));
const steps = Number(option('steps', '24'));
const attention = option('attention', 'gqa') as 'gqa' | 'standard';
const PROMPT = Number(option('prompt', '256'));

const useBase = shapeName === 'base' && existsSync('models/base/model.safetensors');
const config = useBase ? readLlamaConfig('models/base') : parseLlamaConfig(shapeName === 'base' ? BUNDLED_BASE : SMOLLM2_135M);
const options = { ...(quant === 'fp32' ? {} : { quantize: quant }), attention } as InferenceGraphOptions;
const bytes = generatorModel(exportInferenceOnnx(config, benchWeights(config, useBase), options)) as Uint8Array;
const prefix = join(tmpdir(), `profile-decode-${process.pid}`);
const session = await ort.InferenceSession.create(bytes, {
  graphOptimizationLevel: 'all',
  executionMode: 'sequential',
  interOpNumThreads: 1,
  intraOpNumThreads: threads,
  enableProfiling: true,
  profileFilePrefix: prefix,
});

const { num_hidden_layers: layers, num_key_value_heads: kv, head_dim: hd } = config;
const capacity = PROMPT + steps + 64;
const feeds: Record<string, ort.Tensor> = {};
for (let i = 0; i < layers; i++)
  for (const kind of ['key', 'value']) {
    const buffer = new Float32Array(kv * capacity * hd);
    feeds[`past_key_values.${i}.${kind}`] = new ort.Tensor('float32', buffer, [1, kv, capacity, hd]);
  }
// As our generator steps (src/inference/ort.ts): the cache buffers fed whole with spare rows
// masked out, only the logits and this step's rows (new_key_values) fetched.
const fetches = ['logits', 'new_key_values'];
const keep = new ort.Tensor('int64', BigInt64Array.of(1n), []);
const random = mulberry32(7);
const prompt = Array.from({ length: PROMPT }, () => BigInt(4 + Math.floor(random() * 8000)));
const step = async (ids: bigint[], past: number) => {
  const mask = new BigInt64Array(capacity + ids.length);
  mask.fill(1n, 0, past);
  mask.fill(1n, capacity);
  await session.run(
    {
      ...feeds,
      input_ids: new ort.Tensor('int64', BigInt64Array.from(ids), [1, ids.length]),
      attention_mask: new ort.Tensor('int64', mask, [1, mask.length]),
      position_ids: new ort.Tensor(
        'int64',
        BigInt64Array.from(ids, (_, i) => BigInt(past + i)),
        [1, ids.length],
      ),
      num_logits_to_keep: keep,
    },
    fetches,
  );
};
await step(prompt, 0);
const wall: number[] = [];
for (let s = 0; s < steps; s++) {
  const start = performance.now();
  await step([5n], PROMPT + s);
  wall.push(performance.now() - start);
}
session.endProfiling();
await session.release();
// onnxruntime-node writes `<prefix>_<date>.json` and does not return the name.
const file = join(tmpdir(), readdirSync(tmpdir()).find((f) => f.startsWith(`profile-decode-${process.pid}_`))!);

interface ProfileEvent {
  cat: string;
  name: string;
  dur: number;
  args?: { op_name?: string };
}
const events = JSON.parse(readFileSync(file, 'utf8')) as ProfileEvent[];
rmSync(file, { force: true });
const runs = events.filter((e) => e.cat === 'Session' && e.name === 'model_run');
const decodeRuns = runs.slice(1);
const byOp = new Map<string, { us: number; count: number }>();
const byNode = new Map<string, number>();
// Node events of the decode runs: everything after the first model_run ends.
const firstEnd = events.indexOf(runs[0]);
for (const e of events.slice(firstEnd + 1)) {
  if (e.cat !== 'Node' || !e.name.endsWith('_kernel_time')) continue;
  const op = e.args?.op_name ?? '?';
  const entry = byOp.get(op) ?? { us: 0, count: 0 };
  entry.us += e.dur;
  entry.count++;
  byOp.set(op, entry);
  byNode.set(e.name, (byNode.get(e.name) ?? 0) + e.dur);
}
const per = (us: number) => (us / decodeRuns.length / 1000).toFixed(3);
const total = [...byOp.values()].reduce((a, b) => a + b.us, 0);
const runUs = decodeRuns.reduce((a, b) => a + b.dur, 0);
console.log(`${shapeName} ${quant}, ${threads} thread(s), ${decodeRuns.length} decode steps at ${PROMPT}+ positions`);
const nodes = [...byOp.values()].reduce((a, b) => a + b.count, 0) / decodeRuns.length;
console.log(
  `wall ms/step (median, profiler on): ${[...wall].sort((a, b) => a - b)[wall.length >> 1].toFixed(2)}; model_run ${per(runUs)} ms; kernels ${per(total)} ms; ${nodes.toFixed(0)} nodes/step`,
);
for (const [op, { us, count }] of [...byOp].sort((a, b) => b[1].us - a[1].us))
  console.log(`${op.padEnd(28)} ${per(us).padStart(8)} ms/step  ${(count / decodeRuns.length).toFixed(0).padStart(5)} nodes/step`);
console.log('top nodes:');
for (const [name, us] of [...byNode].sort((a, b) => b[1] - a[1]).slice(0, 12)) console.log(`  ${name.padEnd(60)} ${per(us)} ms`);
