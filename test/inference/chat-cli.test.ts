/**
 * `persona chat --prompt` end to end in a child process: the base answers (its ONNX graph
 * exported on first use into DATA_DIR/onnx-cache, never into the base folder) until a version is promoted, a trained
 * version can be chosen, and bad input exits 1 with one sentence saying what is allowed.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeTinyModelFolder } from '../fixtures/tiny-model-folder.ts';

test('persona chat --prompt replies from the base or a chosen version and rejects bad input', () => {
  const root = mkdtempSync(join(tmpdir(), 'chat-cli-'));
  try {
    const base = join(root, 'base');
    writeTinyModelFolder({ dir: base, seed: 1 });
    unlinkSync(join(base, 'onnx', 'model.onnx'));
    writeTinyModelFolder({ dir: join(root, 'data', 'models', 'tess', 'v1'), seed: 2 });
    mkdirSync(join(root, 'personas'));
    writeFileSync(join(root, 'personas', 'tess.yaml'), 'id: tess\nname: Tess\nsystem_prompt: You are Tess.\n');
    const env = { ...process.env, PERSONAS_DIR: join(root, 'personas'), DATA_DIR: join(root, 'data'), BASE_MODEL_DIR: base, LOG_LEVEL: 'silent' };
    const chat = (...args: string[]) =>
      spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'chat', 'tess', ...args], { env, encoding: 'utf8', timeout: 60_000 });

    const fromBase = chat('--model', 'base', '--prompt', 'Hello there', '--max-new-tokens', '6', '--temperature', '0');
    assert.equal(fromBase.status, 0, fromBase.stderr);
    assert.ok(!existsSync(join(base, 'onnx', 'model.onnx')), 'nothing is written into the base folder');
    assert.equal(readdirSync(join(root, 'data', 'onnx-cache')).length, 1, 'the ONNX graph was exported into the cache');
    const byDefault = chat('--prompt', 'Hello there', '--max-new-tokens', '6', '--temperature', '0');
    assert.equal(byDefault.stdout, fromBase.stdout, 'an unpromoted version does not answer by default: the base does');
    const fromVersion = chat('--model', 'v1', '--prompt', 'Hello there', '--max-new-tokens', '6', '--temperature', '0');
    assert.equal(fromVersion.status, 0, fromVersion.stderr);
    assert.notEqual(fromVersion.stdout, fromBase.stdout, 'a chosen version answers');

    const badTemperature = chat('--prompt', 'Hi', '--temperature', '-1');
    assert.equal(badTemperature.status, 1);
    assert.match(badTemperature.stderr, /option '--temperature <x>' argument '-1' is invalid/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
