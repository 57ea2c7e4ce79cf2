/**
 * Benchmark of issue 3's end-to-end target: a 50,000-word persona, 2 epochs, on the bundled
 * base, under 2 minutes — timed from loading the base to the finished version folder
 * (tokenize, pack, session creation, training, evaluation, merge, ONNX export, writing).
 * The words are Franklin D. Roosevelt's State of the Union addresses 1934–1945 (persona
 * data, never in base pretraining) as ~100-word monologue passages, every 10th held out.
 * Without a trained base in models/base yet, a random model of the base shape with the
 * bundled tokenizer stands in: the cost does not depend on the weights.
 *
 *   npm run bench:persona-train [-- --method lora|full] [--words 50000] [--epochs 2]
 *   npm run bench:persona-train -- --base qwen0.5b [--max-steps 6]
 *
 * `--base qwen0.5b` trains LoRA on a random Qwen2.5-0.5B-shaped base (qwen2 architecture,
 * vocab 151,936; the bundled tokenizer's ids, so token counts are the bundled tokenizer's)
 * with rows of 512 tokens, batch 1 and gradient accumulation 4 (2,048 tokens per optimizer
 * step, the persona defaults' 8 × 256). `--max-steps N` runs only N optimizer steps and
 * extrapolates the full run from the measured per-step and per-evaluation times plus the
 * fixed costs (load, tokenize, session, merge, export), saying so in its output.
 *
 * Peak memory of the real command path at a 1B base (issue 15: the base read):
 *
 *   npx tsx scripts/bench-persona-train.ts --base llama1b --write-base /tmp/llama1b   # random BF16 Llama-3.2-1B-shaped folder, then exit
 *   npx tsx scripts/bench-persona-train.ts --base llama1b --base-dir /tmp/llama1b --machine-gib 16 --words 3000 --max-steps 1
 *
 * `--base-dir` trains on that folder (written by a separate process, so the writer's memory
 * is not in the measured peak); `--machine-gib N` makes the memory plan see an N GiB machine
 * (os.totalmem/freemem, as a 16 GB laptop would report them), so the plan picks what that
 * machine gets (float16 frozen matrices at 1B). The output has the plan `persona train`
 * prints and the process's peak RSS after loading and the first step, and at the end (merge,
 * export and write included), and the sizes of the files the run wrote; `--keep-version DIR`
 * moves the version folder there instead of deleting it (to load it in a separate process).
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os, { loadavg, tmpdir } from 'node:os';
import { syncBuiltinESMExports } from 'node:module';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config/config.js';
import { llamaParameterShapes, parseLlamaConfig } from '../src/modelfmt/hf-config.js';
import { writeSafetensors } from '../src/modelfmt/safetensors.js';
import { personaSchema } from '../src/personas/schema.js';
import { readSotu } from '../src/pretrain/sotu.js';
import { initLlamaParams } from '../src/training/step-model.js';
import type { SampleTurns } from '../src/datasets/types.js';
import { totalStepsFor } from '../src/training/trainer/loop.js';
import { resolveTraining } from '../src/training/trainer/settings.js';
import { personaMemoryPlan, trainPersona } from '../src/training/trainer/train-persona.js';
import { describePlan } from '../src/training/memory-plan.js';
import { BUNDLED_BASE, LLAMA32_1B, QWEN25_05B } from './lib/model-shapes.js';

const { values } = parseArgs({
  options: {
    method: { type: 'string', default: 'lora' },
    words: { type: 'string', default: '50000' },
    epochs: { type: 'string', default: '2' },
    base: { type: 'string', default: 'bundled' },
    'max-steps': { type: 'string' },
    'base-dir': { type: 'string' },
    'write-base': { type: 'string' },
    'machine-gib': { type: 'string' },
    'seq-len': { type: 'string' },
    'keep-version': { type: 'string' },
  },
});
// The bundled tokenizer's ids for end of turn and padding (its vocabulary is padded to the shape's).
const SHAPES: Record<string, { shape: Record<string, unknown>; training: Record<string, number>; targetSeconds: number }> = {
  qwen05b: {
    shape: { ...QWEN25_05B, eos_token_id: BUNDLED_BASE.eos_token_id, pad_token_id: BUNDLED_BASE.pad_token_id },
    training: { seq_len: 512, batch_size: 1, grad_accumulation: 4 },
    targetSeconds: 1800,
  },
  // Memory, not time: one 512-token row per optimizer step.
  llama1b: {
    shape: { ...LLAMA32_1B, architectures: ['LlamaForCausalLM'], eos_token_id: BUNDLED_BASE.eos_token_id, pad_token_id: BUNDLED_BASE.pad_token_id },
    training: { seq_len: 512, batch_size: 1, grad_accumulation: 1 },
    targetSeconds: Number.NaN,
  },
};
const shaped = values.base === 'bundled' ? undefined : SHAPES[values.base!.replace('.', '')];
if (values.base !== 'bundled' && !shaped) throw new Error(`--base must be bundled or ${Object.keys(SHAPES).join(', ')}`);
const maxSteps = values['max-steps'] ? Number(values['max-steps']) : undefined;
if (values['write-base']) {
  mkdirSync(values['write-base'], { recursive: true });
  writeRandomBase(values['write-base'], shaped?.shape ?? BUNDLED_BASE, 'BF16');
  console.log(`wrote ${values['write-base']}`);
  process.exit(0);
}
if (values['machine-gib']) {
  const total = Number(values['machine-gib']) * 2 ** 30;
  const free = os.freemem;
  os.totalmem = () => total;
  os.freemem = () => Math.min(free(), total);
  syncBuiltinESMExports();
}

const root = mkdtempSync(join(tmpdir(), 'bench-persona-'));
try {
  const config = loadConfig({ root, env: { DATA_DIR: 'data', BASE_MODEL_DIR: baseFolder() } });
  const samples = fdrParagraphs(Number(values.words));
  const dataset = { version: 'bench', train: samples.filter((_, i) => i % 10 !== 9), validation: samples.filter((_, i) => i % 10 === 9) };
  const persona = personaSchema.parse({
    id: 'fdr',
    name: 'Franklin D. Roosevelt',
    training: { method: values.method, epochs: Number(values.epochs), ...shaped?.training },
  });
  const overrides = { ...(maxSteps ? { maxSteps } : {}), ...(values['seq-len'] ? { seqLen: Number(values['seq-len']) } : {}) };
  const plan = describePlan(personaMemoryPlan(config, persona, overrides).plan);
  const load = loadavg()[0];
  const maxRssMiB = () => Math.round(process.resourceUsage().maxRSS / 1024);
  let rssAfterLoadMiB = 0;
  let rssAfterFirstStepMiB = 0;
  const cpuStart = process.cpuUsage();
  const started = performance.now();
  // Times of the loop's events: the gaps before 'eval' events are evaluations, before 'step' events optimizer steps.
  let last = 0;
  const stepTimes: number[] = [];
  const evalTimes: number[] = [];
  let fullSteps = 0;
  const report = await trainPersona({
    config,
    persona,
    dataset,
    overrides,
    onEvent: (event) => {
      const now = performance.now() / 1000;
      if (event.type === 'start') {
        fullSteps = totalStepsFor(resolveTraining(persona, overrides).hyper, event.trainRows);
        rssAfterLoadMiB = maxRssMiB(); // the base read and the step model's session
      } else if (event.type === 'step') {
        stepTimes.push(now - last);
        rssAfterFirstStepMiB ||= maxRssMiB();
      } else if (event.type === 'eval') evalTimes.push(now - last);
      last = now;
    },
  }).catch((error: Error) => {
    // A run that fails after its steps (e.g. in the export) still reports the memory it reached.
    const peakRssMiB = { load: rssAfterLoadMiB, loadAndFirstStep: rssAfterFirstStepMiB, untilFailure: maxRssMiB() };
    console.log(JSON.stringify({ plan, peakRssMiB, stepSeconds: stepTimes, failed: error.message.slice(0, 300) }, null, 1));
    throw error;
  });
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuStart);
  const m = report.metrics;
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  const hyper = resolveTraining(persona, overrides).hyper;
  const fullEvals = Math.floor(fullSteps / hyper.evalEvery) + 2; // before the first step, every eval_every steps, after the last
  const fixedSeconds = seconds - m.elapsedSeconds;
  const extrapolated = maxSteps ? fixedSeconds + fullSteps * median(stepTimes.slice(1)) + fullEvals * median(evalTimes) : undefined;
  console.log(
    JSON.stringify(
      {
        method: report.method,
        words: Number(values.words),
        samples: samples.length,
        trainTargetTokens: report.data.trainTargetTokens,
        trainRows: report.data.trainRows,
        steps: m.steps,
        trainingSeconds: +m.elapsedSeconds.toFixed(1),
        tokensPerSecond: Math.round(m.tokensPerSecond),
        validationLoss: [m.initialValidationLoss, m.bestValidationLoss],
        wallSeconds: +seconds.toFixed(1),
        cpuSeconds: +((cpu.user + cpu.system) / 1e6).toFixed(1),
        loadAverageAtStart: +load.toFixed(1),
        loadAverageAtEnd: +loadavg()[0].toFixed(1),
        plan,
        peakRssMiB: { load: rssAfterLoadMiB, loadAndFirstStep: rssAfterFirstStepMiB, wholeRun: maxRssMiB() },
        // Where the time went: optimizer steps, evaluations, and the rest (load, tokenize, sessions, merge, export, write).
        profile: {
          stepSeconds: +sum(stepTimes).toFixed(1),
          evalSeconds: +sum(evalTimes).toFixed(1),
          fixedSeconds: +(seconds - sum(stepTimes) - sum(evalTimes)).toFixed(1),
          medianStepSeconds: +median(stepTimes.slice(1)).toFixed(1),
          medianEvalSeconds: +median(evalTimes).toFixed(1),
          evaluations: evalTimes.length,
        },
        ...(maxSteps ? { measuredFraction: `${m.steps} of ${fullSteps} optimizer steps`, extrapolatedFullRunSeconds: Math.round(extrapolated!) } : {}),
        targetSeconds: shaped?.targetSeconds ?? 120,
        // What the run wrote (at 1B the ONNX weights sit in onnx/model.onnx_data beside onnx/model.onnx).
        versionFilesMB: Object.fromEntries(listRelative(report.dir).map((name) => [name, +(statSync(join(report.dir, name)).size / 1e6).toFixed(1)])),
      },
      null,
      1,
    ),
  );
  if (values['keep-version']) renameSync(report.dir, values['keep-version']);
} finally {
  rmSync(root, { recursive: true, force: true });
}

/** models/base when it holds a model (and no --base shape is asked); else a random model of the shape with the bundled tokenizer. */
function baseFolder(): string {
  if (values['base-dir']) return values['base-dir'];
  const bundled = join(process.cwd(), 'models', 'base');
  if (!shaped && existsSync(join(bundled, 'model.safetensors'))) return bundled;
  const dir = join(root, 'base');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir);
  writeRandomBase(dir, shaped?.shape ?? BUNDLED_BASE, shaped ? 'F16' : 'F32');
  return dir;
}

/** A random model folder of `shape` with the bundled tokenizer (its vocabulary padded to the shape's). */
/** Files under `dir`, as paths relative to it. */
function listRelative(dir: string, prefix = ''): string[] {
  return readdirSync(join(dir, prefix), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? listRelative(dir, join(prefix, e.name)) : [join(prefix, e.name)],
  );
}

function writeRandomBase(dir: string, shape: Record<string, unknown>, dtype: 'F32' | 'F16' | 'BF16'): void {
  const bundled = join(process.cwd(), 'models', 'base');
  for (const file of ['tokenizer.json', 'tokenizer_config.json']) copyFileSync(join(bundled, file), join(dir, file));
  writeFileSync(join(dir, 'config.json'), JSON.stringify(shape));
  const config = parseLlamaConfig(shape);
  const shapes = llamaParameterShapes(config);
  const weights = initLlamaParams(config, 1);
  writeSafetensors(join(dir, 'model.safetensors'), new Map([...weights].map(([name, data]) => [name, { shape: shapes.get(name)!, data }])), { dtype });
}

/** Passages of about 100 words (whole sentences), as ingest makes of a monologue transcript. */
function fdrParagraphs(words: number): SampleTurns[] {
  const sentences = readSotu({ fromYear: 1934, toYear: 1945 })
    .filter((a) => a.president.includes('Roosevelt'))
    .flatMap((a) => a.text.replace(/\s+/g, ' ').split(/(?<=[.!?])\s+/));
  const out: SampleTurns[] = [];
  let passage: string[] = [];
  let count = 0;
  for (const sentence of sentences) {
    if (count >= words) break;
    passage.push(sentence);
    count += sentence.split(' ').length;
    if (passage.join(' ').split(' ').length >= 100) {
      out.push({ kind: 'monologue', context: [], text: passage.join(' '), speaker: 'Franklin D. Roosevelt' });
      passage = [];
    }
  }
  return out;
}
