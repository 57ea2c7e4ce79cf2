/**
 * Pretrains the bundled base model (models/base/) from scratch, top to bottom: build the
 * corpus, tokenize it (cached), create the training engine's step model, run the trainer's
 * loop (AdamW, cosine schedule, held-out evaluation, checkpoints every few minutes), then
 * write the model folder in fp16 with its model card.
 *
 * Resumable: the checkpoint and metrics log live in --work (default runs/pretrain-base/);
 * rerunning the same command continues where it stopped (Ctrl-C checkpoints first).
 *
 * Usage: npx tsx scripts/pretrain-base.ts [--steps N | --hours H] [--out models/base] [--work runs/pretrain-base]
 *        [--no-resume] [--threads 2] [--eval-every 250] [--eval-rows N]
 * The tokenizer must exist first (scripts/train-tokenizer.ts writes it into models/base).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Command } from 'commander';
import { isPersonaError } from '../src/errors.js';
import { parseLlamaConfig, llamaParameterShapes } from '../src/modelfmt/hf-config.js';
import { writeModelFolder } from '../src/modelfmt/model-folder-write.js';
import { loadTokenizer, readTokenizerFiles } from '../src/modelfmt/tokenizer.js';
import { BASE_GENERATION_CONFIG, BASE_MODEL_CONFIG, BASE_SPECIAL, DEFAULT_RECIPE, type PretrainRecipe } from '../src/pretrain/base-model.js';
import { buildCorpus, countWords } from '../src/pretrain/corpus.js';
import { lossCurve, renderModelCard } from '../src/pretrain/model-card.js';
import { stepPlan, timeSteps } from '../src/pretrain/step-budget.js';
import { cachedTokenStream, streamToRows, tokenizeDocuments } from '../src/pretrain/token-rows.js';
import { createStepModel, initLlamaParams } from '../src/training/step-model.js';
import { rowsToBatch } from '../src/training/trainer/batches.js';
import { readCheckpointFingerprint, removeCheckpoint } from '../src/training/trainer/checkpoint.js';
import { runTrainingLoop, type TrainingEvent } from '../src/training/trainer/loop.js';
import { metricsLog } from '../src/training/trainer/reporters.js';

const options = new Command()
  .option('--out <dir>', 'model folder to write', 'models/base')
  .option('--tokenizer <dir>', 'folder holding tokenizer.json + tokenizer_config.json (default: --out)')
  .option('--work <dir>', 'checkpoints, token cache and metrics log', 'runs/pretrain-base')
  .option('--steps <n>', `optimizer steps (default ${DEFAULT_RECIPE.steps})`)
  .option('--hours <h>', 'instead of --steps: time a few steps on this machine and size the run to this budget')
  .option('--no-resume', 'ignore an existing checkpoint and start afresh')
  .option('--threads <n>', 'ONNX Runtime intra-op threads', '2')
  .option('--eval-every <n>', 'steps between held-out evaluations', String(DEFAULT_RECIPE.evalEvery))
  .option('--eval-rows <n>', 'held-out rows to evaluate (default: all)')
  .option('--checkpoint-seconds <n>', 'seconds between checkpoints', '180')
  .parse()
  .opts<{
    out: string;
    tokenizer?: string;
    work: string;
    steps?: string;
    hours?: string;
    resume: boolean;
    threads: string;
    evalEvery: string;
    evalRows?: string;
    checkpointSeconds: string;
  }>();

const outDir = resolve(options.out);
const tokenizerDir = resolve(options.tokenizer ?? options.out);
const workDir = resolve(options.work);
const recipe: PretrainRecipe = { ...DEFAULT_RECIPE, steps: Number(options.steps ?? DEFAULT_RECIPE.steps), evalEvery: Number(options.evalEvery) };
const config = parseLlamaConfig(BASE_MODEL_CONFIG);
const log = (message: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${message}`);

// 1. Corpus and tokens (the token streams are cached per tokenizer and corpus content).
const tokenizer = loadTokenizer(tokenizerDir);
const corpus = buildCorpus();
const dataHash = createHash('sha1');
dataHash.update(readFileSync(join(tokenizerDir, 'tokenizer.json')));
for (const document of [...corpus.train, ...corpus.heldOut]) dataHash.update(document.id).update(document.text);
const dataKey = dataHash.digest('hex').slice(0, 12);
const endOfText = tokenizer.tokenToId(BASE_SPECIAL.endOfText)!;
const trainStream = cachedTokenStream(join(workDir, `train-${dataKey}.i32`), () => tokenizeDocuments(corpus.train, tokenizer, endOfText));
const heldOutStream = cachedTokenStream(join(workDir, `heldout-${dataKey}.i32`), () => tokenizeDocuments(corpus.heldOut, tokenizer, endOfText));
const trainRows = streamToRows(trainStream, recipe.seqLen);
const allHeldOutRows = streamToRows(heldOutStream, recipe.seqLen);
const validationRows = options.evalRows ? allHeldOutRows.slice(0, Number(options.evalRows)) : allHeldOutRows;
log(`tokens: ${trainStream.length} train (${trainRows.length} rows), ${heldOutStream.length} held out (${validationRows.length} rows evaluated)`);

// 2. Engine, parameters, loop.
const parameters = [...llamaParameterShapes(config).values()].reduce((sum, shape) => sum + shape.reduce((a, b) => a * b, 1), 0);
const model = await createStepModel(config, {
  method: 'full',
  batchSize: recipe.batchSize,
  seqLen: recipe.seqLen,
  threads: Number(options.threads),
  seed: recipe.seed,
});
const params = initLlamaParams(config, recipe.seed);
if (options.hours && !options.steps) {
  const batch = rowsToBatch(trainRows.slice(0, recipe.batchSize), recipe.batchSize, recipe.seqLen, 0);
  const plan = await stepPlan(join(workDir, 'plan.json'), Number(options.hours), recipe.batchSize * recipe.seqLen, options.resume, () =>
    timeSteps(model, params, batch),
  );
  recipe.steps = plan.steps;
  log(`budget ${plan.hours} h at ${Math.round(plan.tokensPerSecond)} tokens/s (${plan.secondsPerStep.toFixed(2)} s/step) → ${plan.steps} steps`);
}
log(`model: ${parameters} parameters; ${recipe.steps} steps of ${recipe.batchSize}×${recipe.seqLen} tokens`);
const checkpointPath = join(workDir, 'checkpoint.json');
if (!options.resume) removeCheckpoint(checkpointPath);
const fingerprint = createHash('sha1')
  .update(JSON.stringify({ config: BASE_MODEL_CONFIG, recipe, dataKey }))
  .digest('hex');
const metricsFile = join(workDir, 'metrics.jsonl');
const writeMetric = metricsLog(metricsFile, readCheckpointFingerprint(checkpointPath) !== fingerprint);
const abort = new AbortController();
process.once('SIGINT', () => {
  log('interrupted: finishing this step and writing a checkpoint…');
  abort.abort();
});
const onEvent = (event: TrainingEvent) => {
  writeMetric(event);
  if (event.type === 'start' && event.resumedFromStep > 0) log(`resumed from step ${event.resumedFromStep}`);
  if (event.type === 'step' && (event.step % 10 === 0 || event.step === event.totalSteps)) {
    log(
      `step ${event.step}/${event.totalSteps} loss ${event.loss.toFixed(3)} lr ${event.learningRate.toExponential(2)} ${Math.round(event.tokensPerSecond)} tok/s`,
    );
  }
  if (event.type === 'eval')
    log(`held-out loss ${event.validationLoss.toFixed(3)} (perplexity ${Math.exp(event.validationLoss).toFixed(1)}) at step ${event.step}`);
  if (event.type === 'checkpoint') log(`checkpoint at step ${event.step}`);
};
const result = await runTrainingLoop({
  model,
  frozen: new Map(),
  trainable: params,
  trainRows,
  validationRows,
  padId: tokenizer.tokenToId(BASE_SPECIAL.pad)!,
  hyper: {
    optimizer: 'adamw',
    learningRate: recipe.learningRate,
    weightDecay: recipe.weightDecay,
    momentum: 0,
    warmupRatio: recipe.warmupRatio,
    gradClip: recipe.gradClip,
    gradAccumulation: 1,
    epochs: 1,
    maxSteps: recipe.steps,
    evalEvery: recipe.evalEvery,
    earlyStoppingPatience: 0,
    seed: recipe.seed,
    batchSize: recipe.batchSize,
    seqLen: recipe.seqLen,
  },
  checkpoint: { path: checkpointPath, fingerprint, everySeconds: Number(options.checkpointSeconds) },
  signal: abort.signal,
  onEvent,
}).catch(async (error) => {
  await model.dispose();
  if (!isPersonaError(error, 'training_interrupted')) throw error;
  log(`${error.message}`);
  process.exit(130);
});
await model.dispose();

// 3. The model folder and its card (loss curve from the whole metrics log, across resumes).
const events = readFileSync(metricsFile, 'utf8')
  .trim()
  .split('\n')
  .map((line) => JSON.parse(line) as TrainingEvent & { time: string });
const stepEvents = events.filter((e): e is Extract<TrainingEvent, { type: 'step' }> & { time: string } => e.type === 'step');
const medianTokensPerSecond = stepEvents.map((e) => e.tokensPerSecond).sort((a, b) => a - b)[Math.floor(stepEvents.length / 2)] ?? 0;
const heldOutLoss = result.bestValidationLoss ?? Number.NaN;
const { tokenizerJson, tokenizerConfig } = readTokenizerFiles(tokenizerDir);
const bySource: Record<string, number> = {};
for (const d of corpus.train) bySource[d.source] = (bySource[d.source] ?? 0) + countWords([d]);
const cardInput = {
  parameters,
  config: BASE_MODEL_CONFIG,
  recipe: { ...recipe },
  corpus: {
    documents: corpus.train.length,
    words: countWords(corpus.train),
    tokens: trainStream.length,
    heldOutDocuments: corpus.heldOut.length,
    heldOutTokens: validationRows.length * recipe.seqLen,
    bySource,
    decontaminated: corpus.decontaminated,
  },
  steps: result.steps,
  tokensSeen: result.tokensSeen,
  hours: result.elapsedSeconds / 3600,
  tokensPerSecond: medianTokensPerSecond,
  heldOutLoss,
  curve: lossCurve(stepEvents, result.evals),
};
const sizeBytes = parameters * 2; // float16 (the header adds a few kB)
writeModelFolder(
  outDir,
  {
    config: BASE_MODEL_CONFIG,
    generationConfig: BASE_GENERATION_CONFIG,
    tokenizer: { json: tokenizerJson, config: tokenizerConfig },
    weights: result.params,
    dtype: 'F16',
    extraFiles: { 'README.md': renderModelCard({ ...cardInput, sizeBytes }) },
  },
  { overwrite: true },
);
log(
  `wrote ${outDir}: ${result.steps} steps, held-out loss ${heldOutLoss.toFixed(3)} (perplexity ${Math.exp(heldOutLoss).toFixed(1)}), model.safetensors ${(sizeBytes / 1e6).toFixed(1)} MB`,
);
