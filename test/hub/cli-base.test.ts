/**
 * `persona base pull|list|remove` as a user runs them (child processes) against the
 * fake Hub: a pulled base is listed with its architecture, parameter count, size and the
 * persona whose `base:` names it; removing it is refused while that persona uses it.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeTinyModelFolder } from '../fixtures/tiny-model-folder.ts';
import { FakeHub, repoFromFolder } from '../fakes/hub/fake-hub.ts';

let root: string;
let hub: FakeHub;
let parameters: number;

before(async () => {
  root = mkdtempSync(join(tmpdir(), 'cli-base-'));
  const tiny = writeTinyModelFolder({ flavour: 'hub', dir: join(root, 'tiny') });
  parameters = [...tiny.weights.values()].reduce((sum, data) => sum + data.length, 0);
  hub = await new FakeHub({ 'org/tiny': repoFromFolder(tiny.dir) }).start();
  mkdirSync(join(root, 'personas'));
  writeFileSync(join(root, 'personas', 'tess.yaml'), 'id: tess\nname: Tess\nbase: org/tiny\n');
});

after(async () => {
  await hub.close();
  rmSync(root, { recursive: true, force: true });
});

/** Runs the CLI without blocking this process's event loop (the fake Hub lives here). */
function persona(...args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    HF_HOME: join(root, 'hf'),
    HF_ENDPOINT: hub.url,
    PERSONAS_DIR: join(root, 'personas'),
    DATA_DIR: join(root, 'data'),
    LOG_LEVEL: 'silent',
  };
  delete env.HF_HUB_OFFLINE;
  delete env.HF_TOKEN;
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'base', ...args], { env });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  return new Promise((resolve) => child.on('close', (status) => resolve({ status, stdout, stderr })));
}

test('persona base pull, list and remove from the command line', async () => {
  const pulled = await persona('pull', 'org/tiny');
  assert.equal(pulled.status, 0, pulled.stderr);
  assert.match(pulled.stdout, /^org\/tiny: downloaded [\d.]+ MB; llama, [\d.]+[KMB] parameters/);
  assert.match(pulled.stdout, /Use it with `base: org\/tiny` in a persona file/);

  const listed = await persona('list', '--json');
  assert.equal(listed.status, 0, listed.stderr);
  const [entry] = JSON.parse(listed.stdout);
  assert.equal(entry.id, 'org/tiny');
  assert.equal(entry.architecture, 'llama');
  assert.equal(entry.parameters, parameters, 'counted from the safetensors headers (the stray rotary buffer excluded)');
  assert.ok(entry.sizeBytes > parameters * 4);
  assert.equal(entry.complete, true);
  assert.deepEqual(entry.personas, ['tess']);

  const refused = await persona('remove', 'org/tiny');
  assert.equal(refused.status, 1);
  assert.match(refused.stderr, /org\/tiny is the base of tess; change their base: first, or pass --force/);

  const removed = await persona('remove', 'org/tiny', '--force');
  assert.equal(removed.status, 0, removed.stderr);
  assert.equal(existsSync(join(root, 'hf', 'hub', 'models--org--tiny')), false);
});
