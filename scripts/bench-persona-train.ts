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
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config/config.js';
import { llamaParameterShapes, parseLlamaConfig } from '../src/modelfmt/config.js';
import { writeSafetensors } from '../src/modelfmt/safetensors.js';
import { personaSchema } from '../src/personas/schema.js';
import { readSotu } from '../src/pretrain/sotu.js';
import { initLlamaParams } from '../src/training/step-model.js';
import type { TrainableSample } from '../src/training/trainer/render.js';
import { trainPersona } from '../src/training/trainer/train-persona.js';

const { values } = parseArgs({ options: { method: { type: 'string', default: 'lora' }, words: { type: 'string', default: '50000' }, epochs: { type: 'string', default: '2' } } });
const BASE_SHAPE = { model_type: 'llama', vocab_size: 8192, hidden_size: 256, intermediate_size: 688, num_hidden_layers: 6, num_attention_heads: 8, num_key_value_heads: 4, max_position_embeddings: 1024, rope_theta: 10000, rms_norm_eps: 1e-5, tie_word_embeddings: true, eos_token_id: 2, pad_token_id: 3 };

const root = mkdtempSync(join(tmpdir(), 'bench-persona-'));
try {
  const config = loadConfig({ root, env: { DATA_DIR: 'data', BASE_MODEL_DIR: baseFolder() } });
  const samples = fdrParagraphs(Number(values.words));
  const dataset = { version: 'bench', train: samples.filter((_, i) => i % 10 !== 9), validation: samples.filter((_, i) => i % 10 === 9) };
  const persona = personaSchema.parse({ id: 'fdr', name: 'Franklin D. Roosevelt', training: { method: values.method, epochs: Number(values.epochs) } });
  const load = loadavg()[0];
  const cpuStart = process.cpuUsage();
  const started = performance.now();
  const report = await trainPersona({ config, persona, dataset });
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuStart);
  const m = report.metrics;
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
        targetSeconds: 120,
      },
      null,
      1,
    ),
  );
} finally {
  rmSync(root, { recursive: true, force: true });
}

/** models/base when it holds a model; else a random model of its shape with its tokenizer. */
function baseFolder(): string {
  const bundled = join(process.cwd(), 'models', 'base');
  if (existsSync(join(bundled, 'model.safetensors'))) return bundled;
  const dir = join(root, 'base');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir);
  for (const file of ['tokenizer.json', 'tokenizer_config.json']) copyFileSync(join(bundled, file), join(dir, file));
  writeFileSync(join(dir, 'config.json'), JSON.stringify(BASE_SHAPE));
  const config = parseLlamaConfig(BASE_SHAPE);
  const shapes = llamaParameterShapes(config);
  const weights = initLlamaParams(config, 1);
  writeSafetensors(join(dir, 'model.safetensors'), new Map([...weights].map(([name, data]) => [name, { shape: shapes.get(name)!, data }])), { dtype: 'F32' });
  return dir;
}

/** Passages of about 100 words (whole sentences), as ingest makes of a monologue transcript. */
function fdrParagraphs(words: number): TrainableSample[] {
  const sentences = readSotu({ fromYear: 1934, toYear: 1945 })
    .filter((a) => a.president.includes('Roosevelt'))
    .flatMap((a) => a.text.replace(/\s+/g, ' ').split(/(?<=[.!?])\s+/));
  const out: TrainableSample[] = [];
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
