/**
 * `persona train` end to end in a child process, on a tiny random Llama and a tiny approved
 * dataset in a SQLite store: it writes and registers a version folder that lowers the
 * validation loss and goes through the promotion gate;
 * Ctrl-C checkpoints and the same command resumes; bad flags and a held training lock exit 1
 * with one sentence.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../../../src/store/index.ts';
import { addDrafts } from '../../../src/curation/index.ts';
import { acquireLock } from '../../../src/scheduler/training-lock.ts';
import { TINY_TEXTS, writeTinyModelFolder } from '../../fixtures/tiny-model-folder.ts';

const PERSONA = `id: fdr
name: FDR
system_prompt: You are FDR.
voices: { names: [FDR] }
training: { method: lora, batch_size: 2, seq_len: 48, eval_every: 5, learning_rate: 0.01, lora: { r: 4, alpha: 8 } }
dataset: { validation_fraction: 0.3 }
`;

async function setup() {
  const root = mkdtempSync(join(tmpdir(), 'cli-train-'));
  const base = writeTinyModelFolder({ flavour: 'base' });
  mkdirSync(join(root, 'personas'));
  writeFileSync(join(root, 'personas', 'fdr.yaml'), PERSONA);
  const dataDir = join(root, 'data');
  mkdirSync(dataDir);
  const store = await openStore(`sqlite://${join(dataDir, 'persona.sqlite')}`);
  const texts = [...TINY_TEXTS, ...TINY_TEXTS.map((t) => t.toUpperCase()), ...TINY_TEXTS.map((t) => `Friends, ${t.toLowerCase()}`)];
  await addDrafts(
    store,
    texts.map((text, i) => ({
      id: `fdr-${i}`,
      persona: 'fdr',
      kind: i % 2 ? ('monologue' as const) : ('conversation' as const),
      context: i % 2 ? [] : [{ speaker: 'Alice', text: 'What do you think?' }],
      text,
      speaker: 'FDR',
      source: { type: 'file' as const, ref: 'transcripts/fdr.txt', position: String(i) },
      dedupeKey: `k${i}`,
      redactions: {},
    })),
    { trusted: true },
  );
  await store.close();
  const env = { ...process.env, PERSONAS_DIR: join(root, 'personas'), DATA_DIR: dataDir, BASE_MODEL_DIR: base.dir, ORT_THREADS: '1', LOG_LEVEL: 'silent' };
  const cleanup = () => [root, base.dir].forEach((dir) => rmSync(dir, { recursive: true, force: true }));
  return { root, dataDir, env, cleanup };
}

const cli = ['--import', 'tsx', 'src/cli/main.ts', 'train', 'fdr'];

test('persona train writes a version folder that lowers the validation loss; bad flags name the choices', async (t) => {
  const { dataDir, env, cleanup } = await setup();
  t.after(cleanup);
  const run = spawnSync(process.execPath, [...cli, '--json', '--max-steps', '12'], { env, encoding: 'utf8', timeout: 120_000 });
  assert.equal(run.status, 0, run.stderr);
  const record = JSON.parse(run.stdout);
  assert.ok(['promoted', 'kept'].includes(record.status), `${record.status}: ${record.message}`);
  assert.ok(record.metrics.validation_loss_after < record.metrics.validation_loss_before, record.message);
  const report = record.train;
  assert.equal(report.method, 'lora');
  assert.equal(report.metrics.steps, 12);
  assert.ok(report.data.validationSamples > 0 && report.data.trainSamples > 0);
  assert.ok(report.metrics.bestValidationLoss < report.metrics.initialValidationLoss, JSON.stringify(report.metrics.evals));
  assert.ok(report.dir.startsWith(join(dataDir, 'models', 'fdr')));
  for (const file of ['model.safetensors', 'adapter_model.safetensors', 'training.json', 'tokenizer.json']) assert.ok(existsSync(join(report.dir, file)), file);
  assert.equal(JSON.parse(readFileSync(join(report.dir, 'training.json'), 'utf8')).datasetVersion, report.datasetVersion);

  const bad = spawnSync(process.execPath, [...cli, '--method', 'qlora'], { env, encoding: 'utf8', timeout: 60_000 });
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /--method must be lora or full/);
  const badNumber = spawnSync(process.execPath, [...cli, '--epochs', 'two'], { env, encoding: 'utf8', timeout: 60_000 });
  assert.equal(badNumber.status, 1);
  assert.match(badNumber.stderr, /option '--epochs <n>' argument 'two' is invalid/);

  // While another process (here: this test) holds the persona's training lock, nothing trains.
  const store = await openStore(`sqlite://${join(dataDir, 'persona.sqlite')}`);
  const lock = (await acquireLock(store, 'lock:train:fdr'))!;
  try {
    const locked = spawnSync(process.execPath, [...cli, '--max-steps', '2'], { env, encoding: 'utf8', timeout: 60_000 });
    assert.equal(locked.status, 1);
    assert.match(locked.stderr, new RegExp(`being trained by another process \\(pid ${process.pid}`));
  } finally {
    await lock.release();
    await store.close();
  }
});

/**
 * Starts `persona train` (200 steps), waits until `steps` training steps are in its metrics log
 * (a bounded poll), sends `signal`; resolves with the exit code and what it printed on stderr.
 */
async function interruptAfterSteps(env: NodeJS.ProcessEnv, dataDir: string, steps: number, signal: NodeJS.Signals) {
  const metrics = join(dataDir, 'checkpoints', 'fdr', 'metrics.jsonl');
  const child = spawn(process.execPath, [...cli, '--json', '--max-steps', '200'], { env });
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const logged = () =>
    existsSync(metrics)
      ? readFileSync(metrics, 'utf8')
          .split('\n')
          .filter((line) => line.includes('"type":"step"')).length
      : 0;
  for (let i = 0; i < 3000 && logged() < steps; i++) await new Promise((resolve) => setTimeout(resolve, 20));
  child.kill(signal);
  return { code: await exited, stderr };
}

test('Ctrl-C checkpoints and exits 1; the same command resumes from the checkpoint', async (t) => {
  const { dataDir, env, cleanup } = await setup();
  t.after(cleanup);
  const { code, stderr } = await interruptAfterSteps(env, dataDir, 3, 'SIGINT');
  assert.equal(code, 1, stderr);
  assert.match(stderr, /interrupted at step \d+ of 200; run the same command again to resume/);
  assert.ok(existsSync(join(dataDir, 'checkpoints', 'fdr', 'checkpoint.json')));

  const resumed = spawnSync(process.execPath, [...cli, '--json', '--max-steps', '200'], { env, encoding: 'utf8', timeout: 120_000 });
  assert.equal(resumed.status, 0, resumed.stderr);
  const report = JSON.parse(resumed.stdout).train;
  assert.ok(report.metrics.resumedFromStep >= 3, `resumed from ${report.metrics.resumedFromStep}`);
  assert.ok(report.metrics.steps > report.metrics.resumedFromStep);
  assert.ok(existsSync(join(report.dir, 'model.safetensors')));
  assert.equal(existsSync(join(dataDir, 'checkpoints', 'fdr', 'checkpoint.json')), false, 'a finished run removes its checkpoint');
});

test('SIGTERM (kill, docker stop) checkpoints and stops like Ctrl-C', async (t) => {
  const { dataDir, env, cleanup } = await setup();
  t.after(cleanup);
  const { code, stderr } = await interruptAfterSteps(env, dataDir, 1, 'SIGTERM');
  assert.equal(code, 1, stderr);
  assert.match(stderr, /interrupted at step \d+ of 200; run the same command again to resume/);
  assert.ok(existsSync(join(dataDir, 'checkpoints', 'fdr', 'checkpoint.json')));
});
