/**
 * `npm run bench:generate`: inference speed of our generator against transformers.js on the
 * same ONNX file, and against this machine's memory-bandwidth bound, measured in the same run.
 *
 * Per case (bundled base shapes and SmolLM2-135M shapes, fp32 and int8 weights): time to first
 * token for a 256-token prompt (prefill + first pick, median of several runs) and greedy
 * decode tokens/s (tokens after the first ÷ their time), for our generate() — processors,
 * detokenization and stop checks included — and for transformers.js's model.generate(); the
 * two greedy token sequences must be identical. The bandwidth bound is weight bytes read per
 * decoded token ÷ read bandwidth (an ONNX MatMul of a vector with a 512 MB matrix, with the threads inference uses: ORT_THREADS, 0 = all cores).
 * Weights are random unless models/base has real ones (base case only).
 *
 *   npm run bench:generate              all cases (~3 minutes on 2 cores)
 *   npm run bench:generate -- --quick   base cases only, fewer runs
 *   npm run bench:generate -- --no-write   do not update docs/benchmarks.md
 *   npm run bench:generate -- --llama-cpp-only   only the llama.cpp comparison (scripts/lib/llama-cpp-compare.ts)
 *   npm run bench:generate -- --no-llama-cpp     skip it
 *   npm run bench:generate -- --threads 1        the llama.cpp part at 1 thread only (default 1 and 2)
 *   npm run bench:generate -- --with-0.5b        also Qwen2.5-0.5B's shape in the llama.cpp part (~2 GB fp32, ~10 GB RAM)
 */
import { writeBenchmarkSection } from './lib/benchmarks-doc.js';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import ort from 'onnxruntime-node';
import { AutoModelForCausalLM, Tensor, env as tjsEnv } from '@huggingface/transformers';
import { loadConfig } from '../src/config/config.js';
import { generate } from '../src/inference/generate.js';
import { mergeGenerationParams } from '../src/inference/generation-params.js';
import { DecoderSession } from '../src/inference/ort.js';
import { argmax } from '../src/inference/sampler.js';
import { mulberry32 } from '../src/util/random.js';
import { StopStrings } from '../src/inference/stop-strings.js';
import { llamaParameterShapes, parseLlamaConfig, readLlamaConfig, type LlamaConfig } from '../src/modelfmt/hf-config.js';
import { exportInferenceOnnx } from '../src/modelfmt/onnx/onnx-export.js';
import { loadTokenizer } from '../src/modelfmt/tokenizer.js';
import { OnnxGraphBuilder, tensor } from '../src/modelfmt/onnx/onnx-builder.js';
import { BUNDLED_BASE, QWEN25_05B, SMOLLM2_135M } from './lib/model-shapes.js';
import { BASE_DIR, benchWeights } from './lib/bench-weights.js';

const PROMPT_TOKENS = 256;

interface Case {
  name: string;
  config: Record<string, unknown>;
  quantize?: 'int8';
  newTokens: number;
  runs: number;
}

/** Held-out-style English (Gettysburg Address, public domain) for the int8 perplexity check. */
const SAMPLE_TEXT =
  'Four score and seven years ago our fathers brought forth on this continent, a new nation, conceived in Liberty, and dedicated to the proposition that all men are created equal. Now we are engaged in a great civil war, testing whether that nation, or any nation so conceived and so dedicated, can long endure. We are met on a great battle-field of that war. We have come to dedicate a portion of that field, as a final resting place for those who here gave their lives that that nation might live.';

interface QuantizationChange {
  perplexityFp32: number;
  perplexityInt8: number;
  top1Agreement: number;
}

interface Result {
  name: string;
  /** Intra-op threads of our main session (0 = one per core): ORT_THREADS, or automatic. */
  threads: number;
  /** Share of our steps run on the single-threaded session (small models, while other processes were busy). */
  singleShare: number | undefined;
  ttftMs: number;
  decodeTps: number;
  /** ms per generated token spent outside InferenceSession.run. */
  overheadMs: number;
  tjsOverheadMs: number;
  tjsTtftMs: number;
  tjsDecodeTps: number;
  identical: boolean;
  weightMb: number;
  boundTps: number;
  quantization?: QuantizationChange;
}

const args = new Set(process.argv.slice(2));
const quick = args.has('--quick');
const CASES: Case[] = [
  { name: 'base fp32', config: BUNDLED_BASE, newTokens: 128, runs: quick ? 2 : 5 },
  { name: 'base int8', config: BUNDLED_BASE, quantize: 'int8', newTokens: 128, runs: quick ? 2 : 5 },
  ...(quick
    ? []
    : [
        { name: '135M fp32', config: SMOLLM2_135M, newTokens: 48, runs: 3 },
        { name: '135M int8', config: SMOLLM2_135M, quantize: 'int8' as const, newTokens: 48, runs: 3 },
      ]),
];
const threads = loadConfig().ORT_THREADS;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/**
 * Bytes of weights one decode step reads: every Linear (lm_head = the embedding when tied), with
 * int8 one float32 scale per output row, and the norms. The embedding lookup reads one row.
 * This is the sum of the exported graph's initializers other than the embedding (135M int8:
 * 129.2 MiB = 128.3 int8 + 0.8 scales + 0.1 norms).
 */
function weightBytesPerToken(config: LlamaConfig, quantized: boolean): number {
  const linear = (shape: number[]) => (quantized ? shape[0] * shape[1] + 4 * shape[0] : 4 * shape[0] * shape[1]);
  let bytes = 0;
  for (const [name, shape] of llamaParameterShapes(config)) {
    if (name === 'model.embed_tokens.weight') bytes += config.tie_word_embeddings ? linear(shape) : 4 * config.hidden_size;
    else bytes += shape.length === 2 ? linear(shape) : 4 * shape[0];
  }
  return bytes;
}

const PROBE_K = 4096;
const PROBE_N = 32768;
const PROBE_BYTES = PROBE_K * PROBE_N * 4;

/**
 * Read bandwidth as decode sees it: a MatMul of a 1×K input vector with a K×N fp32 initializer
 * of 512 MB (twice this machine's 260 MB L3, like the 135M model's 513 MB), in ONNX Runtime
 * with all cores, which is how the 135M cases run. The input is fed per run, so nothing folds;
 * if ONNX Runtime prepacks the matrix, that packed copy is what decode reads too.
 */
async function measureReadBandwidth(): Promise<number> {
  const graph = new OnnxGraphBuilder('bandwidth');
  graph.input('x', 'float32', [1, PROBE_K]);
  graph.initializer('w', tensor('float32', [PROBE_K, PROBE_N], new Float32Array(PROBE_K * PROBE_N).fill(0.001)));
  graph.op('MatMul', ['x', 'w'], {}, 'y');
  graph.output('y', 'float32', [1, PROBE_N]);
  const session = await ort.InferenceSession.create(graph.toBytes(), threads > 0 ? { intraOpNumThreads: threads } : {});
  const x = new ort.Tensor('float32', new Float32Array(PROBE_K).fill(1), [1, PROBE_K]);
  const times: number[] = [];
  for (let i = 0; i < 12; i++) {
    const start = performance.now();
    await session.run({ x });
    if (i >= 2) times.push(performance.now() - start);
  }
  await session.release();
  return PROBE_BYTES / (median(times) / 1000);
}

function writeFolder(dir: string, config: LlamaConfig, onnx: Uint8Array): void {
  mkdirSync(join(dir, 'onnx'), { recursive: true });
  // No eos: both generators must run the full length on random weights.
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...config, architectures: ['LlamaForCausalLM'], bos_token_id: null, eos_token_id: null }));
  writeFileSync(join(dir, 'generation_config.json'), JSON.stringify({}));
  for (const file of ['tokenizer.json', 'tokenizer_config.json']) copyFileSync(join(BASE_DIR, file), join(dir, file));
  writeFileSync(join(dir, 'onnx', 'model.onnx'), onnx);
}

/**
 * Time spent inside InferenceSession.run, for both generators (transformers.js uses this same
 * onnxruntime-node instance): total minus this is each generator's own per-token overhead,
 * a figure that machine load inflates far less than the session time itself.
 */
let sessionMs = 0;
// The typings describe a factory; at run time InferenceSession is the class both generators instantiate.
const sessionClass = ort.InferenceSession as unknown as { prototype: ort.InferenceSession };
const originalRun = sessionClass.prototype.run;
sessionClass.prototype.run = async function (this: ort.InferenceSession, ...args: Parameters<typeof originalRun>) {
  const start = performance.now();
  try {
    return await originalRun.apply(this, args);
  } finally {
    sessionMs += performance.now() - start;
  }
} as typeof originalRun;

/** Lets the previous run's spinning ORT pool threads go idle before the next generator starts. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 200));

/** Runs `generate` and returns its tokens, TTFT, decode rate and ms/token spent outside session.run. */
async function timed<T extends { tokens: number[] }>(newTokens: number, run: (markFirst: () => void) => Promise<T>) {
  sessionMs = 0;
  let first = 0;
  const start = performance.now();
  const result = await run(() => (first ||= performance.now()));
  const end = performance.now();
  return { tokens: result.tokens, ttft: first - start, tps: (newTokens - 1) / ((end - first) / 1000), overheadMs: (end - start - sessionMs) / newTokens };
}

async function runOurs(session: DecoderSession, prompt: number[], newTokens: number, decode: (ids: number[]) => string) {
  const params = mergeGenerationParams({ temperature: 0, repetition_penalty: 1, max_new_tokens: newTokens });
  return timed(newTokens, (markFirst) =>
    generate(session, prompt, { params, tokenizer: { decode }, eosTokenIds: [], stopStrings: new StopStrings([]), onDelta: markFirst }),
  );
}

async function loadTransformersJs(dir: string) {
  tjsEnv.allowRemoteModels = false;
  tjsEnv.localModelPath = `${dirname(dir)}/`;
  return AutoModelForCausalLM.from_pretrained(basename(dir), { dtype: 'fp32', session_options: threads > 0 ? { intraOpNumThreads: threads } : {} });
}

async function runTransformersJs(model: Awaited<ReturnType<typeof loadTransformersJs>>, prompt: number[], newTokens: number) {
  const input_ids = new Tensor('int64', BigInt64Array.from(prompt, BigInt), [1, prompt.length]);
  const attention_mask = new Tensor('int64', new BigInt64Array(prompt.length).fill(1n), [1, prompt.length]);
  return timed(newTokens, async (markFirst) => {
    let puts = 0;
    // The streamer sees the prompt first, then one put per new token.
    const streamer = { put: () => void (++puts === 2 && markFirst()), end: () => undefined };
    const output = (await model.generate({
      input_ids,
      attention_mask,
      max_new_tokens: newTokens,
      min_new_tokens: newTokens,
      do_sample: false,
      streamer,
    } as never)) as Tensor;
    return { tokens: (output.tolist() as bigint[][])[0].slice(prompt.length).map(Number) };
  });
}

function perplexity(logits: Float32Array, ids: number[], vocab: number): number {
  let nll = 0;
  for (let t = 0; t + 1 < ids.length; t++) {
    const row = logits.subarray(t * vocab, (t + 1) * vocab);
    let max = -Infinity;
    for (const v of row) max = Math.max(max, v);
    let sum = 0;
    for (const v of row) sum += Math.exp(v - max);
    nll += Math.log(sum) + max - row[ids[t + 1]];
  }
  return Math.exp(nll / (ids.length - 1));
}

/** What int8 weights change: perplexity on SAMPLE_TEXT and how often the top token stays the same. */
async function quantizationChange(fp32: DecoderSession, int8: DecoderSession, ids: number[], vocab: number): Promise<QuantizationChange> {
  const a = await fp32.scoreAll(ids);
  const b = await int8.scoreAll(ids);
  let same = 0;
  for (let t = 0; t < ids.length; t++) {
    const top = (l: Float32Array) => argmax(l.subarray(t * vocab, (t + 1) * vocab));
    if (top(a) === top(b)) same++;
  }
  return { perplexityFp32: perplexity(a, ids, vocab), perplexityInt8: perplexity(b, ids, vocab), top1Agreement: same / ids.length };
}

async function runCase(c: Case, bandwidth: number, decode: (ids: number[]) => string, sampleIds: number[]): Promise<Result> {
  const useBase = c.config === BUNDLED_BASE && existsSync(join(BASE_DIR, 'config.json'));
  const config = useBase ? readLlamaConfig(BASE_DIR) : parseLlamaConfig(c.config);
  const root = mkdtempSync(join(tmpdir(), 'bench-generate-'));
  const dir = join(root, c.name.replace(/\W+/g, '-'));
  try {
    const weights = benchWeights(config, useBase);
    writeFolder(dir, config, exportInferenceOnnx(config, weights, { quantize: c.quantize }));
    const fp32Reference = c.quantize ? exportInferenceOnnx(config, weights) : undefined;
    weights.clear();
    const random = mulberry32(99);
    const prompt = Array.from({ length: PROMPT_TOKENS }, () => 4 + Math.floor(random() * (Math.min(config.vocab_size, 8192) - 4)));
    const shape = { layers: config.num_hidden_layers, kvHeads: config.num_key_value_heads, headDim: config.head_dim, vocabSize: config.vocab_size };
    const session = await DecoderSession.load(join(dir, 'onnx', 'model.onnx'), shape, { threads });
    const tjsModel = await loadTransformersJs(dir);
    await runOurs(session, prompt, 8, decode); // warm-ups
    session.stepsOn.single = session.stepsOn.parallel = 0;
    await runTransformersJs(tjsModel, prompt, 8);
    // Alternate the two generators so that load from other processes hits both alike, with a
    // pause between them: ONNX Runtime's pool threads spin on for a moment after a run, and the
    // other session's prefill would otherwise share the cores with them (measured: a 256-token
    // prefill of the base takes ~21 ms right after a run on the same session, 37–40 ms right
    // after one on another session).
    const ours = [];
    const tjsRuns = [];
    for (let run = 0; run < c.runs; run++) {
      await settle();
      ours.push(await runOurs(session, prompt, c.newTokens, decode));
      await settle();
      tjsRuns.push(await runTransformersJs(tjsModel, prompt, c.newTokens));
    }
    await tjsModel.dispose();
    let quantization: QuantizationChange | undefined;
    if (fp32Reference) {
      const reference = await DecoderSession.load(fp32Reference, shape, { threads });
      quantization = await quantizationChange(reference, session, sampleIds, config.vocab_size);
      await reference.release();
    }
    await session.release();
    const tjs = {
      tokens: tjsRuns[0].tokens,
      ttft: median(tjsRuns.map((r) => r.ttft)),
      tps: median(tjsRuns.map((r) => r.tps)),
      overheadMs: median(tjsRuns.map((r) => r.overheadMs)),
    };
    const weightBytes = weightBytesPerToken(config, c.quantize === 'int8');
    return {
      name: c.name,
      threads: session.threads,
      singleShare: session.sessionCount > 1 ? session.stepsOn.single / (session.stepsOn.single + session.stepsOn.parallel) : undefined,
      ttftMs: median(ours.map((r) => r.ttft)),
      decodeTps: median(ours.map((r) => r.tps)),
      overheadMs: median(ours.map((r) => r.overheadMs)),
      tjsOverheadMs: tjs.overheadMs,
      tjsTtftMs: tjs.ttft,
      tjsDecodeTps: tjs.tps,
      identical: JSON.stringify(ours[0].tokens) === JSON.stringify(tjs.tokens),
      weightMb: weightBytes / 2 ** 20,
      boundTps: bandwidth / weightBytes,
      quantization,
    };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

function targetsLine(results: Result[]): string {
  const met = (ok: boolean) => (ok ? 'met' : '**missed**');
  const ratios = results.map((r) => r.decodeTps / r.tjsDecodeTps);
  const big = results.filter((r) => r.name.startsWith('135M'));
  const base = results.find((r) => r.name === 'base fp32');
  return [
    `Targets in this run: decode ≥ 1.3× transformers.js ${met(ratios.every((x) => x >= 1.3))} (${ratios.filter((x) => x >= 1.3).length} of ${results.length} cases)`,
    ...(big.length ? [`135M ≥ 50% of the bound ${met(big.every((r) => r.decodeTps >= 0.5 * r.boundTps))}`] : []),
    ...(base ? [`base TTFT(256) < 50 ms ${met(base.ttftMs < 50)}`, `base decode ≥ 400 tok/s ${met(base.decodeTps >= 400)}`] : []),
    `greedy tokens identical ${met(results.every((r) => r.identical))}.`,
  ].join('; ');
}

function report(results: Result[], bandwidth: number): string {
  const f = (x: number, digits = 1) => x.toFixed(digits);
  const cores = cpus().length;
  const ourThreads = (r: Result) => `${r.threads || cores}${r.singleShare === undefined ? '' : `, 1 for ${f(100 * r.singleShare, 0)}% of steps`}`;
  const rows = results.map(
    (r) =>
      `| ${r.name} | ${ourThreads(r)} / ${threads || cores} | ${f(r.ttftMs)} | ${f(r.decodeTps, 0)} | ${f(r.tjsTtftMs)} | ${f(r.tjsDecodeTps, 0)} | ${f(r.decodeTps / r.tjsDecodeTps, 2)}× | ${f(r.overheadMs, 3)} / ${f(r.tjsOverheadMs, 3)} | ${r.identical ? 'yes' : '**NO**'} | ${f(r.weightMb, 0)} | ${f(r.boundTps, 0)} | ${f((100 * r.decodeTps) / r.boundTps, 0)}% |`,
  );
  return [
    `Measured ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC on ${cores} cores, ORT_THREADS=${threads}, load average ${f(loadAtStart)} when the run started (other processes compete for cores and memory bandwidth; compare ratios, which are measured under the same load). Read bandwidth ${f(bandwidth / 1e9)} GB/s (ONNX MatMul of a 1×${PROBE_K} vector with a ${PROBE_K}×${PROBE_N} fp32 matrix, ${PROBE_BYTES / 2 ** 20} MB, ${threads || cores} threads). Prompt ${PROMPT_TOKENS} random tokens, greedy decoding; our runs alternate with transformers.js runs.`,
    '',
    '| case | ORT threads, ours / transformers.js | TTFT(256) ms | decode tok/s | transformers.js TTFT ms | transformers.js tok/s | decode vs transformers.js | ms/token outside session.run, ours / transformers.js | same tokens | weight MB read/token | bandwidth bound tok/s | of bound |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...rows,
    '',
    targetsLine(results),
    '',
    'int8 weights (symmetric per output column; DynamicQuantizeLinear + MatMulInteger, fused by ONNX Runtime at load) against fp32 on the same weights, scored on a public-domain English paragraph:',
    '',
    '| case | perplexity fp32 | perplexity int8 | top-1 token agreement |',
    '|---|---|---|---|',
    ...results
      .filter((r) => r.quantization)
      .map(
        (r) =>
          `| ${r.name} | ${f(r.quantization!.perplexityFp32, 2)} | ${f(r.quantization!.perplexityInt8, 2)} | ${f(100 * r.quantization!.top1Agreement, 1)}% |`,
      ),
    '',
    `Weights: ${existsSync(join(BASE_DIR, 'model.safetensors')) ? 'models/base for the base cases, random for 135M' : 'random (models/base has no weights yet), so perplexities are those of untrained models'}.`,
  ].join('\n');
}

const READING_NOTE = [
  "How to read it: both generators run the same ONNX file in the same onnxruntime-node, so the decode ratio comes from what each does around `session.run` and with which session settings. Ours: (1) the KV cache stays in our own buffers with spare rows, and each step fetches only the logits and its new cache rows (`new_key_values.*`, an extra output of our graphs that transformers.js ignores) — onnxruntime-node copies every fetched output into a fresh buffer, so fetching the grown `present.*` each step, as transformers.js does, copies the whole cache per token; (2) thread choice (src/inference/ort.ts): models under 64 MB of weights also get a single-threaded session and step on it while other processes use the CPU, because an all-cores step of a small model collapses when a spinning pool thread loses its core (base fp32, 2 cores: 2 threads ~700 tok/s idle but 80–400 under other load, 1 thread 550–580 either way); larger models use all cores (135M: 2 threads 1.1–1.5× faster than 1). transformers.js runs with ORT_THREADS (0 = ONNX Runtime's default, all cores, spinning).",
  '',
  'The bandwidth bound uses a probe that reads a 512 MB matrix the way decode reads weights (a matrix-vector MatMul, all cores); the base models (6–25 MB) stay in this machine\'s 260 MB L3 cache, so their "of bound" is not a DRAM figure, and the 135M int8 weights (129 MB) fit in L3 as well.',
  '',
  "Weight-only int8 (com.microsoft MatMulNBits, bits 8, a float32 scale per 32 weights along K, float32 activations) was tried on 2026-11-27 and not kept: it is more accurate (135M top-1 agreement 92.2% against 87.9%; base 100% against 96.6%, perplexity 116.06 against 115.88, fp32 116.25) but slower. In ONNX Runtime 1.30's CPU provider only accuracy_level 4 has a fast 8-bit kernel (it quantizes the activations per block inside the kernel); levels 0–3 dequantize the weights on every call (the 135M lm_head alone: 185 ms against 1.3 ms). At level 4, in one bench run (load 1.6, two rounds interleaved): 135M decode 69 and 69 tok/s against 89 and 80 for DynamicQuantizeLinear + MatMulInteger, TTFT 402–410 against 206–217 ms; base decode 602 against 593 tok/s but TTFT 51.5 against 39.7 ms. A 135M decode step alone (256 cached positions) took 12.2–12.7 ms against 10.5 ms; under the profiler its 121 quantized MatMuls took 9.6 ms as MatMulNBits against 6.9 ms as the fused DynamicQuantizeMatMul. transformers.js loaded the file and gave the same greedy tokens. In that profile the KV-cache Concats were the next largest cost (2.4 of 15 ms of profiled kernel time): each step copies the whole cache into `present.*` (~24 MB of memory traffic at 256 positions, not counted in the bound), and ONNX Runtime runs them even when `present.*` is not fetched. Since 2026-12-04 (issue 16) that format is an export choice, `--quant q8` (with `q4`), for its accuracy; `int8` stays the fast 8-bit format, and the graph's attention is one GroupQueryAttention node per layer (the Concats are gone, the kernel copies the cache instead): see the llama.cpp section below for current figures.",
  '',
  'Where decode time goes (ONNX Runtime profile, base fp32, 1 thread, before these changes): of 2.2 ms of kernel time per token, the weight MatMuls/Gemm took 1.2 ms (25 MB read at ~21 GB/s from L3), the cache Concats 0.27 ms, and ~190 small operators the rest; fetching the grown cache added ~0.4 ms per token at 320 positions. Replacing attention by the com.microsoft GroupQueryAttention operator (77 instead of 224 nodes per step) did not help: its kernel took ~90 µs per layer, and unprofiled decode was 2–4% slower.',
  '',
  "Run to run: the bench pauses 200 ms before each generator's run (since 2026-11-27 14:36 UTC). Without it each run started while the other session's ONNX Runtime pool threads were still spinning, which cost both sides: base TTFT(256) read ~40–47 ms instead of ~23 ms. transformers.js's decode rate is the most variable figure (base fp32 300–550 tok/s across runs that day, ours 600–720), so the base ratio has ranged 1.3–2.2×; 135M fp32 has stayed at 1.32–1.36×.",
].join('\n');

function writeDocs(table: string): void {
  writeBenchmarkSection('generate', [
    '## bench:generate',
    '',
    '`npm run bench:generate` (scripts/bench-generate.ts): our generator vs transformers.js on the same ONNX file, and decode vs the memory-bandwidth bound. Targets: decode ≥ 1.3× transformers.js; 135M decode ≥ 50% of the bound; base TTFT(256) < 50 ms and decode ≥ 400 tok/s.',
    '',
    table,
    '',
    READING_NOTE,
  ]);
}

const loadAtStart = loadavg()[0];
const tokenizer = loadTokenizer(BASE_DIR);
// Random 135M-shaped weights produce ids beyond the bundled 8192-token vocabulary: fold them in so detokenization still runs.
const decode = (ids: number[]) => tokenizer.decode(ids.map((id) => id % tokenizer.vocabSize));
const sampleIds = tokenizer.encode(SAMPLE_TEXT);
if (!args.has('--llama-cpp-only')) {
  const bandwidth = await measureReadBandwidth();
  const results: Result[] = [];
  for (const c of CASES) {
    const result = await runCase(c, bandwidth, decode, sampleIds);
    console.log(JSON.stringify(result));
    results.push(result);
  }
  const table = report(results, bandwidth);
  console.log(`\n${table}`);
  if (!args.has('--no-write')) writeDocs(table);
}
if (!args.has('--no-llama-cpp')) await runLlamaCppComparison();

/** Our generator against llama.cpp on the GGUF of the same weights (scripts/lib/llama-cpp-compare.ts). */
async function runLlamaCppComparison(): Promise<void> {
  const { compareWithLlamaCpp, llamaCppReport, LLAMA_CPP_THREADS } = await import('./lib/llama-cpp-compare.js');
  const loadBefore = loadavg()[0];
  const threadArg = process.argv.indexOf('--threads');
  const threadCounts = threadArg > 0 ? process.argv[threadArg + 1].split(',').map(Number) : undefined;
  const random = mulberry32(99);
  const prompt = Array.from({ length: PROMPT_TOKENS }, () => 4 + Math.floor(random() * 8188));
  // Each of our formats against llama.cpp's format of the same precision class.
  const SAME_CLASS_PAIRS = [
    { ours: 'fp32', gguf: 'f32' },
    { ours: 'int8', gguf: 'q8_0' },
    { ours: 'q8', gguf: 'q8_0' },
    { ours: 'q4', gguf: 'q4_0' },
  ] as const;
  const shapes = [
    {
      shape: 'base',
      config: readLlamaConfig(BASE_DIR),
      useBase: true,
      newTokens: 64,
      runs: 3,
      pairs: SAME_CLASS_PAIRS,
    },
    ...(args.has('--with-0.5b')
      ? [
          {
            shape: '0.5B (qwen2)',
            config: parseLlamaConfig(QWEN25_05B),
            useBase: false,
            newTokens: 16,
            runs: 1,
            pairs: SAME_CLASS_PAIRS,
          },
        ]
      : []),
    ...(quick
      ? []
      : [
          {
            shape: '135M',
            config: parseLlamaConfig(SMOLLM2_135M),
            useBase: false,
            newTokens: 32,
            runs: 3,
            pairs: [...SAME_CLASS_PAIRS.slice(0, 1), { ours: 'fp32', gguf: 'f16' } as const, ...SAME_CLASS_PAIRS.slice(1)],
          },
        ]),
  ];
  const rows = [];
  const top1 = [];
  for (const s of shapes) {
    const result = await compareWithLlamaCpp({
      ...s,
      pairs: [...s.pairs],
      weights: benchWeights(s.config, s.useBase),
      tokenizerDir: BASE_DIR,
      prompt,
      sampleIds,
      threads: threadCounts,
    });
    for (const row of result.rows) console.log(JSON.stringify(row));
    rows.push(...result.rows);
    top1.push(...result.top1);
  }
  const lines = [
    '## bench:generate — llama.cpp',
    '',
    `\`npm run bench:generate\` (\`-- --llama-cpp-only\` for this part alone): our generator against llama.cpp (node-llama-cpp's prebuilt CPU binary, its default f16 KV cache) on the same weights, our ONNX export against the GGUF our exporter writes (\`persona export --format gguf\`), ${(threadCounts ?? LLAMA_CPP_THREADS).join(' and ')} thread(s) each, the engines alternating run by run. Prompt ${PROMPT_TOKENS} random tokens, greedy; medians. Base: models/base's weights; 135M: random weights of SmolLM2-135M's shape.`,
    '',
    `Measured ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC on ${cpus().length} cores shared with other work: load average ${loadBefore.toFixed(1)} at the start, ${loadavg()[0].toFixed(1)} at the end. Absolute rates move with that load; the ratios compare two engines under the same load.`,
    '',
    ...llamaCppReport(rows, top1),
  ];
  console.log(`\n${lines.join('\n')}`);
  if (!args.has('--no-write')) writeBenchmarkSection('generate-llama-cpp', lines);
}
