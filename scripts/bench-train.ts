/**
 * `npm run bench:train`: the training engine's throughput against this machine's MatMul
 * peak, measured in the same run. Prints, per case, tokens/s, achieved GFLOPS (6·N per
 * token for full fine-tuning, 4·N for LoRA, N = parameters in matmuls including lm_head,
 * plus 12·L·T·d of attention), the fraction of the peak and the case's peak RSS. Each
 * case runs in its own child process so that peak RSS is that case's alone; the median
 * step after two warm-ups is quoted (step-to-step noise is about ±10%).
 *
 *   npm run bench:train                      all cases (~4 minutes on 2 cores)
 *   npm run bench:train -- --case base-full  one case
 *   npm run bench:train -- --case base-full --profile   plus ONNX Runtime's per-op profile
 *   npm run bench:train -- --gemm-ceiling    plus the Gemm-only ceiling of base-full (every matmul of its step timed alone)
 *   npm run bench:train -- --json            machine-readable results
 *   npm run bench:train -- --record          also rewrite the bench:train section of docs/benchmarks.md
 */
import { writeBenchmarkSection } from './lib/benchmarks-doc.js';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { parseLlamaConfig, type LlamaConfig } from '../src/modelfmt/config.js';
import { createStepModel, initLlamaParams, initLoraParams, type TokenBatch } from '../src/training/step-model.js';
import { measureMatMulPeak, type PeakResult } from '../src/training/bench/peak.js';
import { summarizeProfile } from '../src/training/bench/profile.js';
import { formatGemmCeiling, measureGemmCeiling, type GemmCeiling } from '../src/training/bench/gemm-shapes.js';

const BASE = { vocab_size: 8192, hidden_size: 256, intermediate_size: 688, num_hidden_layers: 6, num_attention_heads: 8, num_key_value_heads: 4, max_position_embeddings: 1024, rope_theta: 10000, rms_norm_eps: 1e-5, tie_word_embeddings: true };
const SMOL135 = { vocab_size: 49152, hidden_size: 576, intermediate_size: 1536, num_hidden_layers: 30, num_attention_heads: 9, num_key_value_heads: 3, max_position_embeddings: 2048, rope_theta: 100000, rms_norm_eps: 1e-5, tie_word_embeddings: true };
// The persona file defaults (src/personas/schema.ts).
const LORA = { r: 16, alpha: 32, dropout: 0, targetModules: ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'] };

interface Case {
  name: string;
  config: Record<string, unknown>;
  method: 'full' | 'lora';
  batchSize: number;
  seqLen: number;
  steps: number;
}
const CASES: Case[] = [
  { name: 'base-full', config: BASE, method: 'full', batchSize: 16, seqLen: 256, steps: 5 },
  { name: 'base-lora', config: BASE, method: 'lora', batchSize: 16, seqLen: 256, steps: 5 },
  { name: '135m-lora', config: SMOL135, method: 'lora', batchSize: 4, seqLen: 256, steps: 4 },
  { name: '135m-full', config: SMOL135, method: 'full', batchSize: 4, seqLen: 256, steps: 3 },
];

interface CaseResult {
  name: string;
  tokensPerStep: number;
  stepSeconds: number;
  tokensPerSecond: number;
  gflops: number;
  /** GFLOP per CPU-second of the median step (see PeakResult.cpuGflops). */
  cpuGflops: number;
  peakRssMiB: number;
  sessionSeconds: number;
  profile?: string;
}

/** Matmul parameters (every Linear + lm_head) and the FLOPs of one trained token. */
export function flopsPerToken(config: LlamaConfig, method: 'full' | 'lora', seqLen: number): number {
  const { hidden_size: d, intermediate_size: f, num_attention_heads: h, num_key_value_heads: kv, head_dim: hd, num_hidden_layers: L, vocab_size: v } = config;
  const perLayer = d * h * hd * 2 + d * kv * hd * 2 + 3 * d * f;
  const n = L * perLayer + v * d;
  const attention = 12 * L * seqLen * h * hd;
  return (method === 'full' ? 6 : 4) * n + attention;
}

async function runCase(c: Case, profile: boolean): Promise<CaseResult> {
  const config = parseLlamaConfig(c.config);
  const started = performance.now();
  const profilePrefix = profile ? `scratch/bench-train-${c.name}` : undefined;
  const model = await createStepModel(config, { method: c.method, lora: LORA, batchSize: c.batchSize, seqLen: c.seqLen, threads: 2, profilePrefix });
  const sessionSeconds = (performance.now() - started) / 1000;
  const base = initLlamaParams(config, 1);
  const trainable = c.method === 'full' ? base : initLoraParams(config, LORA, 2);
  const frozen = c.method === 'full' ? new Map() : base;
  const n = c.batchSize * c.seqLen;
  const inputIds = BigInt64Array.from({ length: n }, (_, i) => BigInt((i * 7919) % config.vocab_size));
  const batch: TokenBatch = { inputIds, labels: inputIds, batchSize: c.batchSize, seqLen: c.seqLen };
  const times: number[] = [];
  const cpuTimes: number[] = [];
  for (let i = 0; i < c.steps + 2; i++) {
    const [t0, cpu0] = [performance.now(), process.cpuUsage()];
    await model.step(batch, frozen, trainable);
    const cpu = process.cpuUsage(cpu0);
    if (i >= 2) times.push((performance.now() - t0) / 1000), cpuTimes.push((cpu.user + cpu.system) / 1e6);
  }
  await model.dispose();
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const stepSeconds = median(times);
  const tokensPerSecond = n / stepSeconds;
  const flops = flopsPerToken(config, c.method, c.seqLen);
  const result: CaseResult = {
    name: c.name,
    tokensPerStep: n,
    stepSeconds,
    tokensPerSecond,
    gflops: (tokensPerSecond * flops) / 1e9,
    cpuGflops: (n * flops) / median(cpuTimes) / 1e9,
    peakRssMiB: process.resourceUsage().maxRSS / 1024,
    sessionSeconds,
  };
  if (profilePrefix) result.profile = profileOf(profilePrefix, c.steps + 2);
  return result;
}

function profileOf(prefix: string, runs: number): string {
  const dir = prefix.slice(0, prefix.lastIndexOf('/'));
  const file = spawnSync('sh', ['-c', `ls -t ${dir}/${prefix.slice(dir.length + 1)}*.json | head -1`], { encoding: 'utf8' }).stdout.trim();
  return `${summarizeProfile(JSON.parse(readFileSync(file, 'utf8')), runs)}\n  (full trace: ${file})`;
}

function runChild(name: string, profile: boolean): CaseResult | { name: string; error: string } {
  const args = ['--import', 'tsx', 'scripts/bench-train.ts', '--child', name, ...(profile ? ['--profile'] : [])];
  const child = spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const last = child.stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(last) as CaseResult;
  } catch {
    return { name, error: (child.stderr || child.stdout).trim().split('\n').slice(-3).join(' ') || `exit ${child.status}` };
  }
}

/** Findings that explain the figures (profiles from `--case base-full --profile`). */
const NOTES = [
  "Where a base-full step goes (ONNX Runtime profile, 2026-11-27 11:48 UTC, load 3.7, kernel time per op type): Gemm 64.5% (the three lm_head Gemms ~16%), attention MatMul/FusedMatMul 8%, Mul 10%, Add 4%, Softmax 3.7%, Sub 2%, Transpose/Slice/Pad/Split/Concat 5%, Sigmoid 1%, everything else < 1%. Weight Gemms with K = 256 run ~30% slower than those with K = 688; the attention matmuls (head_dim 32) run at about a third of the Gemm rate; the largest elementwise cost is SwiGLU's 9 passes over (N, 688), already the minimum with standard ONNX ops (fusing q/k/v and gate/up into single Gemms was measured: ±10%, not kept).",
  '',
  "What the engine does about it: hand-written backwards for RMSNorm (its row dot as a GEMV), SwiGLU, attention (rowsum(dO∘O) instead of rowsum(dP∘P); transposes only on (T, hd) tensors, fused into MatMul by ONNX Runtime) and the loss (softmax − one-hot without a (rows, V) scatter: label rows are gathered/scattered on (rows, d)); lm_head + loss chunked to ~8M logits; residual adds and gradient sums ride in Gemm\'s C input; causal attention in 4 query blocks (62.5% of T²); RoPE tables repeated per head (head broadcasts were ~10× slower per element); no Identity outputs; memory pattern off (135M LoRA peak RSS 4.4 → 2.6 GiB, no speed change); intra-op spinning off (−25% step time under load). The optimizer stays outside the graph: its cost is a few passes over the parameters (≤ 3% of a base step), and the prototype measured in-graph AdamW no faster.",
  '',
  "Targets: 135M LoRA peak RSS is met (2.6 GiB < 4 GiB). The efficiency targets are not met. On a quiet machine the MatMul peak is ~255 GFLOPS (1024³: 257; the prototype's 180 was probably measured under load), and the best figures seen were base full 1.20 s/step = 3,420 tokens/s = 148 GFLOPS (58% of 255; 11:48 UTC, load 3.7, profiling on) and 135M LoRA 170 GFLOPS (66%, table above). What limits base full: its Gemms themselves run at ~55% of the square peak (d = 256 shapes: ~1.1 s of Gemm kernel time per step for 158 GFLOP), and the elementwise and copy kernels add ~35% on top. Per CPU-second (the load-independent view) base full reaches 70–73% and 135M LoRA 79–83% of the peak measured the same way. Load average was 1.5–20 during this session; re-run on an idle machine for wall-clock figures.",
];

const argv = process.argv.slice(2);
const flag = (name: string) => argv.includes(name);
const value = (name: string) => (argv.indexOf(name) >= 0 ? argv[argv.indexOf(name) + 1] : undefined);

if (value('--child')) {
  const c = CASES.find((x) => x.name === value('--child'))!;
  console.log(JSON.stringify(await runCase(c, flag('--profile'))));
} else {
  const only = value('--case');
  const cases = only ? CASES.filter((c) => c.name === only) : CASES;
  if (cases.length === 0) throw new Error(`--case must be one of ${CASES.map((c) => c.name).join(', ')}`);
  const startLoad = loadavg()[0];
  const peak = await measureMatMulPeak();
  if (!flag('--json')) {
    console.log(`MatMul peak: ${peak.gflops.toFixed(1)} GFLOPS (best of square ${peak.sizes.map((s) => `${s.n}: ${s.gflops.toFixed(0)}`).join(', ')}); ${peak.cpuGflops.toFixed(1)} GFLOP per CPU-second`);
    console.log(`load average ${loadavg().map((l) => l.toFixed(1)).join(' ')} on ${cpus().length} CPUs (a shared machine makes wall-clock ratios low; the per-CPU-second ratio is less sensitive)`);
  }
  let ceiling: { text: string; data: GemmCeiling; pct: number } | undefined;
  if (flag('--gemm-ceiling') || flag('--record')) {
    const c = CASES[0];
    const config = parseLlamaConfig(c.config);
    const data = await measureGemmCeiling(config, { method: c.method, batchSize: c.batchSize, seqLen: c.seqLen, dropout: true, seed: 0 }, { threads: 2, memPattern: false });
    const modelFlops = flopsPerToken(config, c.method, c.seqLen) * c.batchSize * c.seqLen;
    ceiling = { text: formatGemmCeiling(data, modelFlops, peak.gflops), data, pct: (100 * modelFlops) / data.seconds / 1e9 / peak.gflops };
    if (!flag('--json')) console.log(`${c.name} ${ceiling.text}`);
  }
  const results = [];
  for (const c of cases) {
    const r = runChild(c.name, flag('--profile'));
    results.push(r);
    if (flag('--json')) continue;
    if ('error' in r) console.log(`${c.name}: failed: ${r.error}`);
    else {
      console.log(
        `${r.name}: ${r.tokensPerSecond.toFixed(0)} tokens/s, ${r.gflops.toFixed(1)} GFLOPS = ${((100 * r.gflops) / peak.gflops).toFixed(1)}% of peak (${((100 * r.cpuGflops) / peak.cpuGflops).toFixed(1)}% per CPU-second), step ${r.stepSeconds.toFixed(3)} s (${r.tokensPerStep} tokens), peak RSS ${r.peakRssMiB.toFixed(0)} MiB, session ${r.sessionSeconds.toFixed(1)} s`,
      );
      if (r.profile) console.log(r.profile);
    }
  }
  if (flag('--json')) console.log(JSON.stringify({ date: new Date().toISOString(), loadavg: loadavg(), peak, gemmCeiling: ceiling?.data, results }, null, 2));
  if (flag('--record')) recordSection(peak, results, startLoad, ceiling?.text);
}

function recordSection(peak: PeakResult, results: (CaseResult | { name: string; error: string })[], load: number, ceiling?: string): void {
  const pct = (x: number, of: number) => `${((100 * x) / of).toFixed(1)}%`;
  const rows = results.map((r) =>
    'error' in r
      ? `| ${r.name} | failed: ${r.error} | | | | | | |`
      : `| ${r.name} | ${r.tokensPerStep} | ${r.tokensPerSecond.toFixed(0)} | ${r.gflops.toFixed(1)} | ${pct(r.gflops, peak.gflops)} | ${pct(r.cpuGflops, peak.cpuGflops)} | ${r.peakRssMiB.toFixed(0)} | ${r.sessionSeconds.toFixed(1)} |`,
  );
  writeBenchmarkSection('train', [
    '## bench:train',
    '',
    "`npm run bench:train` (scripts/bench-train.ts): one training step (forward + backward, gradients out; the optimizer runs in the trainer) per ONNX Runtime `session.run`, 2 intra-op threads, median step after 2 warm-ups, each case in its own process (peak RSS is that case\'s). FLOPs: 6·N per token full, 4·N LoRA (N = matmul parameters incl. lm_head) + 12·L·T·d attention. Targets: base full ≥ 85% of the MatMul peak; 135M LoRA ≥ 70% with peak RSS < 4 GiB. LoRA: r 16, alpha 32, all 7 linear modules (the persona defaults).",
    '',
    `Measured ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC on ${cpus().length} CPUs, load average ${load.toFixed(1)} at start (the machine is shared: wall-clock ratios are depressed; the per-CPU-second ratio compares work done per CPU time actually received, with the peak measured the same way). MatMul peak ${peak.gflops.toFixed(1)} GFLOPS (square ${peak.sizes.map((x) => `${x.n}: ${x.gflops.toFixed(0)}`).join(', ')}), ${peak.cpuGflops.toFixed(1)} GFLOP per CPU-second.`,
    '',
    '| case | tokens/step | tokens/s | GFLOPS | of peak | of peak per CPU-second | peak RSS MiB | session s |',
    '|---|---|---|---|---|---|---|---|',
    ...rows,
    '',
    'Cases: base = vocab 8192, d 256, 6 layers, ffn 688, 8 heads / 4 kv, tied, B 16 × T 256; 135m = SmolLM2-135M shapes (vocab 49152, d 576, 30 layers, ffn 1536, 9 heads / 3 kv, tied), random weights, B 4 × T 256.',
    '',
    ...(ceiling ? ['base-full, every matmul of one step timed alone (same session settings, kernel time from the profiler, median; `--gemm-ceiling`):', '', '```', `base-full ${ceiling}`, '```', ''] : []),
    ...NOTES,
  ]);
}
