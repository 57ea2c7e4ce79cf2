/**
 * The memory plan: float16 frozen matrices halve the base's share, LoRA on real-base
 * shapes plans below full fine-tuning, a run the machine cannot hold is refused with
 * training_memory naming the levers, checkpointing is planned when the budget needs it,
 * and `persona train` prints the plan (with `--checkpoint`: layers recomputed) and refuses
 * before any job starts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseLlamaConfig } from '../../src/modelfmt/hf-config.ts';
import { checkMemoryFits, describePlan, frozenDtypeFor, planForMachine, planTrainingMemory } from '../../src/training/memory-plan.ts';
import { writeTinyModelFolder } from '../fixtures/tiny-model-folder.ts';

const QWEN05 = parseLlamaConfig({
  model_type: 'qwen2',
  vocab_size: 151936,
  hidden_size: 896,
  intermediate_size: 4864,
  num_hidden_layers: 24,
  num_attention_heads: 14,
  num_key_value_heads: 2,
  tie_word_embeddings: true,
});
const LORA = { r: 16, alpha: 32, dropout: 0, targetModules: ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'] };
const GiB = 2 ** 30;

test('the plan of a 0.5B base: float16 frozen matrices on a small machine, LoRA far below full fine-tuning', () => {
  const run = { config: QWEN05, lora: LORA, batchSize: 1, seqLen: 512 };
  // Float16 when the float32 plan (~4.9 GiB) would take more than 40% of the machine.
  assert.equal(frozenDtypeFor({ ...run, method: 'lora' }, 8 * GiB), 'float16');
  assert.equal(frozenDtypeFor({ ...run, method: 'lora' }, 64 * GiB), 'float32');
  assert.equal(frozenDtypeFor({ ...run, method: 'full' }, 8 * GiB), 'float32');
  const half = planTrainingMemory({ ...run, method: 'lora', frozenDtype: 'float16' });
  const single = planTrainingMemory({ ...run, method: 'lora', frozenDtype: 'float32' });
  const full = planTrainingMemory({ ...run, method: 'full', frozenDtype: 'float32' });
  // 494M parameters: ~1.2 GiB of weights with the matrices in float16 except the tied lm_head (136M, float32), ~1.8 GiB in float32.
  assert.ok(Math.abs(half.parts.weights / GiB - 1.17) < 0.02, describePlan(half));
  assert.ok(Math.abs(single.parts.weights / GiB - 1.84) < 0.02, describePlan(single));
  assert.ok(full.peakBytes > 2 * half.peakBytes, `${describePlan(full)} vs ${describePlan(half)}`);
  assert.match(describePlan(half), /^planned peak memory \d+\.\d GiB \(weights 1\.2 GiB as float16, /);
});

test('checkpointing is planned when the budget needs it (or when asked) and shrinks the activations', () => {
  const run = { config: QWEN05, method: 'lora' as const, lora: LORA, batchSize: 1, seqLen: 2048 };
  const big = { totalBytes: 64 * GiB, freeBytes: 60 * GiB };
  const small = { totalBytes: 8 * GiB, freeBytes: 6 * GiB };
  assert.equal(planForMachine(run, big).checkpoint, false);
  const needed = planForMachine(run, small);
  assert.equal(needed.checkpoint, true, describePlan(needed));
  assert.match(describePlan(needed), /with layers recomputed/);
  const kept = planForMachine(run, small, false);
  assert.ok(needed.parts.activations < kept.parts.activations / 2, `${describePlan(needed)} vs ${describePlan(kept)}`);
  assert.equal(planForMachine(run, big, true).checkpoint, true);
});

test('a run the machine cannot hold is refused, naming the levers', () => {
  const plan = planTrainingMemory({ config: QWEN05, method: 'full', lora: LORA, batchSize: 8, seqLen: 2048, frozenDtype: 'float32' });
  const small = { totalBytes: 16 * GiB, freeBytes: 12 * GiB };
  assert.throws(
    () => checkMemoryFits(plan, small, { method: 'full', batchSize: 8, seqLen: 2048 }),
    (e: Error & { code?: string }) =>
      e.code === 'training_memory' &&
      /needs about \d+\.\d GiB of memory but 12\.0 GiB of 16\.0 GiB is available: try a shorter --seq-len \(e\.g\. 1024\), or a smaller --batch-size .*, or --method lora, or --checkpoint \(recompute layers in the backward\)\./.test(
        e.message,
      ),
  );
  checkMemoryFits(plan, { totalBytes: 4096 * GiB, freeBytes: 4000 * GiB }, { method: 'full', batchSize: 8, seqLen: 2048 });
});

test('persona train prints the planned peak and refuses a run that cannot fit before any job starts', () => {
  const root = mkdtempSync(join(tmpdir(), 'memory-plan-'));
  const base = writeTinyModelFolder({ flavour: 'base' });
  try {
    mkdirSync(join(root, 'personas'));
    writeFileSync(join(root, 'personas', 'fdr.yaml'), 'id: fdr\nname: FDR\ntraining: { method: lora, seq_len: 48 }\n');
    const env = { ...process.env, PERSONAS_DIR: join(root, 'personas'), DATA_DIR: join(root, 'data'), BASE_MODEL_DIR: base.dir, LOG_LEVEL: 'silent' };
    // 10⁸ rows of 48 tokens: terabytes of activations on any machine.
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'train', 'fdr', '--batch-size', '100000000', '--checkpoint'], {
      env,
      encoding: 'utf8',
    });
    assert.equal(run.status, 1, run.stderr);
    assert.match(run.stderr, /planned peak memory \d+(\.\d)? GiB \(weights 0\.0 GiB as float16, .*activations \d+(\.\d)? GiB with layers recomputed/);
    assert.match(run.stderr, /This training run needs about \d+(\.\d)? GiB of memory but .* is available: try a smaller --batch-size/);
  } finally {
    rmSync(root, { recursive: true, force: true });
    rmSync(base.dir, { recursive: true, force: true });
  }
});
