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
 *   npm run bench:train -- --threads 1       intra-op threads per case (default 2)
 *   npm run bench:train -- --thread-ratio    each case at 1 and at 2 threads: the speed-up users with more cores can expect
 *   npm run bench:train -- --frozen float32  frozen LoRA base fed as float32 (default: float16 for the real-base shapes)
 *   npm run bench:train -- --no-arena        ONNX Runtime's CPU memory arena off (default: off only with a float16 base)
 *   npm run bench:train -- --arena           the arena on, also with a float16 base
 *   npm run bench:train -- --checkpoint      activation checkpointing on (each layer recomputed in the backward)
 *   npm run bench:train -- --no-contrib      without ONNX Runtime's contrib kernels (RotaryEmbedding, SimplifiedLayerNormalization)
 *   npm run bench:train -- --record          also rewrite the bench:train section of docs/benchmarks.md
 */
import { writeBenchmarkSection } from './lib/benchmarks-doc.js';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { llamaParameterShapes, parseLlamaConfig, type LlamaConfig } from '../src/modelfmt/hf-config.js';
import { float32ToFloat16 } from '../src/modelfmt/half.js';
import { narrowedNames, type FrozenDtype, type FrozenParams } from '../src/training/frozen-weights.js';
import { fillNormal, mulberry32 } from '../src/util/random.js';
import { createStepModel, initLlamaParams, initLoraParams, type TokenBatch } from '../src/training/step-model.js';
import { measureMatMulPeak, type PeakResult } from '../src/training/bench/peak.js';
import { summarizeProfile } from '../src/training/bench/profile.js';
import { formatGemmCeiling, measureGemmCeiling, type GemmCeiling } from '../src/training/bench/gemm-shapes.js';
import { BUNDLED_BASE, GEMMA3_270M, LLAMA32_1B, QWEN25_05B, SMOLLM2_135M } from './lib/model-shapes.js';

// The persona file defaults (src/personas/schema.ts).
const LORA = { r: 16, alpha: 32, dropout: 0, targetModules: ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'] };

interface Case {
  name: string;
  config: Record<string, unknown>;
  method: 'full' | 'lora';
  batchSize: number;
  seqLen: number;
  steps: number;
  /** Frozen base element type (LoRA; default float32). */
  frozen?: FrozenDtype;
  /** Untimed first steps (default 2). */
  warmups?: number;
}
const CASES: Case[] = [
  { name: 'base-full', config: BUNDLED_BASE, method: 'full', batchSize: 16, seqLen: 256, steps: 5 },
  { name: 'base-lora', config: BUNDLED_BASE, method: 'lora', batchSize: 16, seqLen: 256, steps: 5 },
  { name: '135m-lora', config: SMOLLM2_135M, method: 'lora', batchSize: 4, seqLen: 256, steps: 4 },
  { name: '135m-full', config: SMOLLM2_135M, method: 'full', batchSize: 4, seqLen: 256, steps: 3 },
  { name: 'qwen0.5b-lora', warmups: 1, config: QWEN25_05B, method: 'lora', batchSize: 1, seqLen: 512, steps: 2, frozen: 'float16' },
  { name: 'llama1b-lora', warmups: 1, config: LLAMA32_1B, method: 'lora', batchSize: 1, seqLen: 512, steps: 2, frozen: 'float16' },
  { name: 'gemma270m-lora', warmups: 1, config: GEMMA3_270M, method: 'lora', batchSize: 1, seqLen: 512, steps: 2, frozen: 'float16' },
];

interface CaseResult {
  name: string;
  threads: number;
  frozen: FrozenDtype;
  tokensPerStep: number;
  stepSeconds: number;
  tokensPerSecond: number;
  gflops: number;
  /** GFLOP per CPU-second of the median step (see PeakResult.cpuGflops). */
  cpuGflops: number;
  peakRssMiB: number;
  sessionSeconds: number;
  checkpoint: boolean;
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

/**
 * Random base weights tensor by tensor; narrowed ones are drawn into one reused float32
 * buffer, so no float32 garbage awaits collection (uncollected copies had made the random
 * base, not the training step, the process's peak RSS at 0.5B: 3.4 GiB against 2.7 GiB
 * sampled during the steps).
 */
function randomBase(config: LlamaConfig, frozen: FrozenDtype): FrozenParams {
  const random = mulberry32(1);
  const shapes = llamaParameterShapes(config);
  const narrow = narrowedNames(shapes, frozen);
  const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);
  const scratch = new Float32Array(Math.max(0, ...[...shapes].filter(([name]) => narrow.has(name)).map(([, shape]) => size(shape))));
  const params: FrozenParams = new Map();
  for (const [name, shape] of shapes) {
    if (narrow.has(name)) params.set(name, float32ToFloat16(fillNormal(scratch.subarray(0, size(shape)), 0.02, random)));
    else {
      const data = new Float32Array(size(shape));
      params.set(name, shape.length === 1 ? data.fill(1) : fillNormal(data, 0.02, random));
    }
  }
  return params;
}

async function runCase(c: Case, profile: boolean, threads: number, frozenOverride?: FrozenDtype): Promise<CaseResult> {
  const config = parseLlamaConfig(c.config);
  const frozenDtype = c.method === 'lora' ? (frozenOverride ?? c.frozen ?? 'float32') : 'float32';
  const started = performance.now();
  const profilePrefix = profile ? `scratch/bench-train-${c.name}` : undefined;
  const memArena = flag('--no-arena') ? false : flag('--arena') ? true : undefined;
  const model = await createStepModel(config, {
    method: c.method,
    lora: LORA,
    batchSize: c.batchSize,
    seqLen: c.seqLen,
    threads,
    profilePrefix,
    frozenDtype,
    memArena,
    checkpoint: flag('--checkpoint'),
    contribOps: !flag('--no-contrib'),
  });
  const sessionSeconds = (performance.now() - started) / 1000;
  const base = c.method === 'full' ? initLlamaParams(config, 1) : randomBase(config, frozenDtype);
  const trainable = c.method === 'full' ? (base as Map<string, Float32Array>) : initLoraParams(config, LORA, 2);
  const frozen = c.method === 'full' ? new Map() : base;
  const n = c.batchSize * c.seqLen;
  const inputIds = BigInt64Array.from({ length: n }, (_, i) => BigInt((i * 7919) % config.vocab_size));
  const batch: TokenBatch = { inputIds, labels: inputIds, batchSize: c.batchSize, seqLen: c.seqLen };
  const times: number[] = [];
  const cpuTimes: number[] = [];
  const warmups = c.warmups ?? 2;
  for (let i = 0; i < c.steps + warmups; i++) {
    const [t0, cpu0] = [performance.now(), process.cpuUsage()];
    await model.step(batch, frozen, trainable);
    const cpu = process.cpuUsage(cpu0);
    if (i >= warmups) times.push((performance.now() - t0) / 1000), cpuTimes.push((cpu.user + cpu.system) / 1e6);
  }
  await model.dispose();
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const stepSeconds = median(times);
  const tokensPerSecond = n / stepSeconds;
  const flops = flopsPerToken(config, c.method, c.seqLen);
  const result: CaseResult = {
    name: c.name,
    threads,
    frozen: frozenDtype,
    tokensPerStep: n,
    stepSeconds,
    tokensPerSecond,
    gflops: (tokensPerSecond * flops) / 1e9,
    cpuGflops: (n * flops) / median(cpuTimes) / 1e9,
    peakRssMiB: process.resourceUsage().maxRSS / 1024,
    sessionSeconds,
    checkpoint: flag('--checkpoint'),
  };
  if (profilePrefix) result.profile = profileOf(profilePrefix, c.steps + warmups);
  return result;
}

function profileOf(prefix: string, runs: number): string {
  const dir = prefix.slice(0, prefix.lastIndexOf('/'));
  const file = spawnSync('sh', ['-c', `ls -t ${dir}/${prefix.slice(dir.length + 1)}*.json | head -1`], { encoding: 'utf8' }).stdout.trim();
  return `${summarizeProfile(JSON.parse(readFileSync(file, 'utf8')), runs)}\n  (full trace: ${file})`;
}

function runChild(name: string, profile: boolean, threads: number): CaseResult | { name: string; error: string } {
  const frozen = value('--frozen');
  const args = [
    '--import',
    'tsx',
    'scripts/bench-train.ts',
    '--child',
    name,
    '--threads',
    String(threads),
    ...(frozen ? ['--frozen', frozen] : []),
    ...(profile ? ['--profile'] : []),
    ...['--no-arena', '--arena', '--checkpoint', '--no-contrib'].filter(flag),
  ];
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
  "Gemm-only ceiling (`--gemm-ceiling`, block above; quiet runs 13:05–13:54 UTC gave 694–747 ms per step): the ~300 matrix products of a base-full step (42 kinds), each timed alone through ONNX Runtime with the training session's settings, run at 89–92% of the square peak, and the model's FLOPs over their time are 93–96% of it. So MLAS on d = 256 shapes does not stop 85%: the weight Gemms (K = 256 included, transA or not) run at 80–110% of the square peak, the lm_head weight gradient (transA, K = 1024 rows) at ~80%, and only the attention matmuls (head_dim 32: 40–60%) are slow, at 7% of the executed FLOPs. Inside the step the matmuls take about what they take alone.",
  '',
  "What limits the target is everything else. Profile of a base-full step (2026-11-27 13:38 UTC, load 2.4, peak 255, kernel time 1,116 ms): matmuls 795 ms (71%), Mul 109, Add 48, Softmax 37, Transpose 34, Sub 24, Slice 23, Pad 10, Sigmoid 8, Split + Concat 13, other < 20. 85% of a 255 peak is a 0.82 s step, which leaves 25–100 ms (matmul time in the step or alone) for the ~930 kernels that are not matmuls. With standard ONNX ops every elementwise pass over an (N, 688) tensor costs ~1.2 ms inside the step (its operands come from memory; ~0.7 ms when they are in cache): SwiGLU needs nine such passes (67 ms per step), each RMSNorm seven over (N, 256) (~45 ms for 13), RoPE ~37 ms, and attention's mask, softmax and backward, head transposes and query-block copies ~150 ms. No single remaining lever found is worth more than 1–2%; reaching 85% needs fused kernels (SwiGLU, RMSNorm, attention), which the default-domain rule of the training graph excludes.",
  '',
  "What the engine does about it: hand-written backwards for RMSNorm (its row dot and its weight gradient as GEMVs), SwiGLU (up·silu'(gate) formed in the forward, so its backward is two multiplies and one fewer (N, ffn) tensor stays alive: 1,043 → 1,024 ms per step with the GEMV), attention (rowsum(dO∘O) instead of rowsum(dP∘P); transposes only on (T, hd) tensors, fused into MatMul by ONNX Runtime) and the loss (softmax − one-hot without a (rows, V) scatter: label rows are gathered/scattered on (rows, d)); lm_head + loss chunked to ~8M logits; residual adds and gradient sums ride in Gemm's C input; causal attention in 4 query blocks (62.5% of T²); RoPE tables repeated per head (head broadcasts were ~10× slower per element); no Identity outputs; memory pattern off (135M LoRA peak RSS 4.4 → 2.6 GiB, no speed change); intra-op spinning off (−25% step time under load). The optimizer stays outside the graph: its cost is a few passes over the parameters (≤ 3% of a base step), and the prototype measured in-graph AdamW no faster.",
  '',
  "Tried on base full and not kept (median of 6–16 steps per variant, variants interleaved in one process, quiet machine unless said): lm_head chunks of 512/1024/2048/4096 rows 1,023/1,022/1,027/1,028 ms (alone, the weight-gradient Gemm runs at 206–218 GFLOPS whatever its K or layout); 1/2/8 query blocks 1,101/1,043/1,026 ms against 1,030/1,030/1,010 for 4; fused q/k/v (N = 512) or gate/up (N = 1376) Gemms alone 287/275 GFLOPS against 283–291 unfused (no gain, as the earlier ±10% step measurement found); down_proj dX as transB 5.03 ms against 5.04; dk/dv instead of dkᵀ/dvᵀ products 0–6% slower; RoPE with the rotate-half axis outermost: its ops 30% faster but the head transposes 1.7× (q) and 5× (k) slower; session options set_denormal_as_zero 1,013 vs 1,010 ms, graph optimization extended/basic 1,014/1,035 vs 1,022 (all), memory pattern 1,019 vs 1,022, dynamic_block_base 2/4/8 1,032/1,036/1,047 vs 1,031, intra-op thread affinity 1,030 vs 1,013. Intra-op spinning is the one session lever: ONNX Runtime's default spin is 6% faster on a quiet machine (991 vs 1,050 ms) but 33% slower under load (2,796 vs 2,104 ms); a bounded spin (session.intra_op.spin_duration_us) of 100 µs gave −3.4% quiet / +5.5% loaded and 30 µs −2.7% / +1%, within the ±2% noise, so spinning stays off. Estimated and not built: folding RMSNorm weights into the following Gemms (W∘w) removes three (N, d) passes per norm but adds weight-sized ones (net < 1%) and changes the LoRA path.",
  '',
  "Issue 15 relaxed the rule (ONNX Runtime contrib kernels allowed in training graphs, each gradient-checked): RoPE is one RotaryEmbedding kernel per q/k each way (was a reversed slice, two multiplies and an add), RMSNorm's forward one SimplifiedLayerNormalization (y and 1/rms; xhat formed in the backward, so one (N, d) tensor less is kept per norm), and the lm_head weight gradient accumulates transposed (hwᵀ·p, ~1.4× faster in MLAS than pᵀ·hw). What still stops 80% is the matmuls themselves: in a quiet profile (2026-12-04 21:13 UTC, peak 415 GFLOPS, kernel time 692 ms) the Gemm/MatMul/FusedMatMul kernels alone took 546 ms, while 80% of the peak for the step's 178 GFLOP is a 535 ms step: d = 256 Gemms run at 80–90% of the square peak, the lm_head weight gradient at ~63%, attention's head_dim-32 products at 40–60%. With every other kernel free the step would be at ~78%. No contrib kernel fuses SwiGLU's backward or attention's softmax backward on CPU (BiasSoftmax and the training-only *Grad kernels are not in onnxruntime-node's CPU build), so SwiGLU's nine (N, 688) passes (~27 ms) and attention's mask/softmax/transposes (~45 ms) remain.",
  '',
  'Run-to-run spread: the machine is shared (even under a quiet lock the load average stayed 1.5–5.8 during this work) and single square-MatMul peak measurements ranged 146–302 GFLOPS, so the ratios move by several points between runs (base full: 58–69% of peak in three recorded runs on 2026-11-27, 63% before this work). Quote ratios from one run, and compare code changes with interleaved steps in one process.',
];

const argv = process.argv.slice(2);
const flag = (name: string) => argv.includes(name);
const value = (name: string) => (argv.indexOf(name) >= 0 ? argv[argv.indexOf(name) + 1] : undefined);

if (value('--child')) {
  const c = CASES.find((x) => x.name === value('--child'))!;
  console.log(JSON.stringify(await runCase(c, flag('--profile'), Number(value('--threads') ?? 2), value('--frozen') as FrozenDtype | undefined)));
} else {
  const only = value('--case');
  const cases = only ? CASES.filter((c) => c.name === only) : CASES;
  if (cases.length === 0) throw new Error(`--case must be one of ${CASES.map((c) => c.name).join(', ')}`);
  const startLoad = loadavg()[0];
  const peak = await measureMatMulPeak();
  if (!flag('--json')) {
    console.log(
      `MatMul peak: ${peak.gflops.toFixed(1)} GFLOPS (best of square ${peak.sizes.map((s) => `${s.n}: ${s.gflops.toFixed(0)}`).join(', ')}); ${peak.cpuGflops.toFixed(1)} GFLOP per CPU-second`,
    );
    console.log(
      `load average ${loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')} on ${cpus().length} CPUs (a shared machine makes wall-clock ratios low; the per-CPU-second ratio is less sensitive)`,
    );
  }
  let ceiling: { text: string; data: GemmCeiling; pct: number } | undefined;
  if (flag('--gemm-ceiling') || flag('--record')) {
    const c = CASES[0];
    const config = parseLlamaConfig(c.config);
    const data = await measureGemmCeiling(
      config,
      { method: c.method, batchSize: c.batchSize, seqLen: c.seqLen, dropout: true },
      { threads: 2, memPattern: false },
    );
    const modelFlops = flopsPerToken(config, c.method, c.seqLen) * c.batchSize * c.seqLen;
    ceiling = { text: formatGemmCeiling(data, modelFlops, peak.gflops), data, pct: (100 * modelFlops) / data.seconds / 1e9 / peak.gflops };
    if (!flag('--json')) console.log(`${c.name} ${ceiling.text}`);
  }
  const results = [];
  const threadCounts = flag('--thread-ratio') ? [2, 1] : [Number(value('--threads') ?? 2)];
  for (const c of cases) {
    for (const threads of threadCounts) {
      const r = runChild(c.name, flag('--profile'), threads);
      results.push(r);
      if (flag('--json')) continue;
      if ('error' in r) console.log(`${c.name}: failed: ${r.error}`);
      else {
        console.log(
          `${r.name} (${r.threads} threads, frozen ${r.frozen}${r.checkpoint ? ', checkpointed' : ''}): ${r.tokensPerSecond.toFixed(0)} tokens/s, ${r.gflops.toFixed(1)} GFLOPS = ${((100 * r.gflops) / peak.gflops).toFixed(1)}% of peak (${((100 * r.cpuGflops) / peak.cpuGflops).toFixed(1)}% per CPU-second), step ${r.stepSeconds.toFixed(3)} s (${r.tokensPerStep} tokens), peak RSS ${r.peakRssMiB.toFixed(0)} MiB, session ${r.sessionSeconds.toFixed(1)} s`,
        );
        if (r.profile) console.log(r.profile);
      }
    }
  }
  // A recorded run measures the peak once more after the cases, as a check on the first
  // (a load burst on the shared machine during either shows as a large gap); ratios use the first.
  const endPeak = flag('--record') ? await measureMatMulPeak() : undefined;
  if (endPeak && !flag('--json')) console.log(`MatMul peak again after the cases: ${endPeak.gflops.toFixed(1)} GFLOPS (ratios use the first)`);
  if (flag('--json'))
    console.log(JSON.stringify({ date: new Date().toISOString(), loadavg: loadavg(), peak, endPeak, gemmCeiling: ceiling?.data, results }, null, 2));
  if (endPeak) recordSection(peak, results, startLoad, endPeak.gflops, ceiling?.text);
}

/** The issue's targets, judged on this run's figures. */
function targetsLine(results: (CaseResult | { name: string; error: string })[], peak: PeakResult): string {
  const ok = (name: string) => results.find((r): r is CaseResult => r.name === name && !('error' in r) && r.threads === 2);
  const judge = (met: boolean) => (met ? 'met' : 'NOT met');
  const pct = (r: CaseResult) => `${((100 * r.gflops) / peak.gflops).toFixed(1)}%`;
  const gib = (r: CaseResult) => `${(r.peakRssMiB / 1024).toFixed(2)} GiB`;
  const parts: string[] = [];
  const fraction = (name: string, label: string, target: number) => {
    const r = ok(name);
    if (r) parts.push(`${label} ≥ ${target}% of peak ${judge(r.gflops >= (target / 100) * peak.gflops)} (${pct(r)})`);
  };
  const rss = (name: string, label: string, gibLimit: number) => {
    const r = ok(name);
    if (r) parts.push(`${label} peak RSS < ${gibLimit} GiB ${judge(r.peakRssMiB < gibLimit * 1024)} (${gib(r)})`);
  };
  fraction('base-full', 'base full', 80);
  fraction('135m-lora', '135M LoRA', 75);
  fraction('qwen0.5b-lora', 'Qwen2.5-0.5B LoRA', 65);
  rss('qwen0.5b-lora', 'Qwen2.5-0.5B LoRA', 5);
  rss('llama1b-lora', 'Llama-3.2-1B LoRA', 8);
  const gemma = ok('gemma270m-lora');
  if (gemma) parts.push(`Gemma-3-270m LoRA recorded (${pct(gemma)}, ${gib(gemma)})`);
  return `Targets in this run: ${parts.join('; ')}.`;
}

function recordSection(peak: PeakResult, results: (CaseResult | { name: string; error: string })[], load: number, endPeak: number, ceiling?: string): void {
  const pct = (x: number, of: number) => `${((100 * x) / of).toFixed(1)}%`;
  const rows = results.map((r) =>
    'error' in r
      ? `| ${r.name} | failed: ${r.error} | | | | | | | |`
      : `| ${r.name} | ${r.threads} | ${r.tokensPerStep} | ${r.tokensPerSecond.toFixed(0)} | ${r.gflops.toFixed(1)} | ${pct(r.gflops, peak.gflops)} | ${pct(r.cpuGflops, peak.cpuGflops)} | ${r.peakRssMiB.toFixed(0)} | ${r.sessionSeconds.toFixed(1)} |`,
  );
  writeBenchmarkSection('train', [
    '## bench:train',
    '',
    "`npm run bench:train` (scripts/bench-train.ts): one training step (forward + backward, gradients out; the optimizer runs in the trainer) per ONNX Runtime `session.run`, 2 intra-op threads, median step after 2 warm-ups, each case in its own process (peak RSS is that case's). FLOPs: 6·N per token full, 4·N LoRA (N = matmul parameters incl. lm_head) + 12·L·T·d attention. Targets (issue 15): base full ≥ 80% of the MatMul peak; 135M LoRA ≥ 75%; Qwen2.5-0.5B LoRA ≥ 65% with peak RSS < 5 GiB; Llama-3.2-1B LoRA peak RSS < 8 GiB; Gemma-3-270m recorded; the 1-thread vs 2-thread ratio per case (`--thread-ratio`). LoRA: r 16, alpha 32, all 7 linear modules (the persona defaults).",
    '',
    `Measured ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC on ${cpus().length} CPUs, load average ${load.toFixed(1)} at start (the machine is shared: wall-clock ratios are depressed; the per-CPU-second ratio compares work done per CPU time actually received, with the peak measured the same way). MatMul peak ${peak.gflops.toFixed(1)} GFLOPS (square ${peak.sizes.map((x) => `${x.n}: ${x.gflops.toFixed(0)}`).join(', ')}), ${peak.cpuGflops.toFixed(1)} GFLOP per CPU-second; measured again after the cases: ${endPeak.toFixed(1)} GFLOPS.`,
    '',
    '| case | threads | tokens/step | tokens/s | GFLOPS | of peak | of peak per CPU-second | peak RSS MiB | session s |',
    '|---|---|---|---|---|---|---|---|---|',
    ...rows,
    '',
    'Cases: base = vocab 8192, d 256, 6 layers, ffn 688, 8 heads / 4 kv, tied, B 16 × T 256; 135m = SmolLM2-135M shapes (vocab 49152, d 576, 30 layers, ffn 1536, 9 heads / 3 kv, tied), random weights, B 4 × T 256. Real-base shapes, random weights, B 1 × T 512, LoRA with the frozen matrices fed as float16 (what persona train does for bases ≥ 100M parameters): qwen0.5b = Qwen2.5-0.5B (qwen2 architecture with q/k/v biases; vocab 151,936, d 896, 24 layers, ffn 4,864, 14 heads / 2 kv, tied), llama1b = Llama-3.2-1B (vocab 128,256, d 2,048, 16 layers, ffn 8,192, 32 heads / 8 kv, tied), gemma270m = Gemma-3-270m (gemma3_text: vocab 262,144, d 640, 18 layers, ffn 2,048, 4 heads / 1 kv, head_dim 256, window 512, tied).',
    '',
    ...(ceiling
      ? [
          `base-full, every matmul of one step timed alone (same session settings, kernel time from the profiler, median; \`--gemm-ceiling\`; measured right after the peak):`,
          '',
          '```',
          `base-full ${ceiling}`,
          '```',
          '',
        ]
      : []),
    ...NOTES,
    '',
    targetsLine(results, peak),
  ]);
}
