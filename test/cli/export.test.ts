/**
 * `persona export` (through bin/persona.js, as `npx persona` runs it): a persona's model (here its base, then its trained champion) as a
 * self-contained HF folder with onnx/model.onnx that our inference engine loads, or as a GGUF
 * file with an Ollama Modelfile; an existing non-empty folder is refused and left alone.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runTrainingJob } from '../../src/scheduler/job.ts';
import { approveSamples, makeProject, openProject, PERSONA } from '../scheduler/job-fixture.ts';

const exportCli = (root: string, ...args: string[]) =>
  spawnSync(process.execPath, [join(process.cwd(), 'bin/persona.js'), 'export', PERSONA, ...args], {
    cwd: root,
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, LOG_LEVEL: 'silent', ORT_THREADS: '1' },
  });

test('persona export writes a loadable HF folder of the champion, else the base; a non-empty target is refused', async () => {
  const root = makeProject(0);
  const base = exportCli(root, '--out', 'out-base');
  assert.equal(base.status, 0, base.stderr);
  assert.match(base.stdout, /Exported tiny base/);
  for (const file of ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'model.safetensors', 'onnx/model.onnx'])
    assert.ok(existsSync(join(root, 'out-base', file)), file);

  const gguf = exportCli(root, '--format', 'gguf', '--quant', 'f16', '--out', 'gguf/tiny.gguf');
  assert.equal(gguf.status, 0, gguf.stderr);
  assert.match(gguf.stdout, /tiny\.gguf \(f16\).*ollama create tiny -f /);
  assert.ok(existsSync(join(root, 'gguf', 'tiny.gguf')) && existsSync(join(root, 'gguf', 'Modelfile')));
  const badQuant = exportCli(root, '--format', 'gguf', '--quant', 'q3', '--out', 'gguf2');
  assert.equal(badQuant.status, 1);
  assert.match(badQuant.stderr, /--quant q3: choose f32, f16, q8_0, q4_0/);
  const badOnnxQuant = exportCli(root, '--quant', 'q8_0', '--out', 'onnx-q');
  assert.equal(badOnnxQuant.status, 1);
  assert.match(badOnnxQuant.stderr, /--quant q8_0: choose fp32, int8, q8, q4 for --format hf/);

  const project = await openProject(root);
  await approveSamples(project.store, 10);
  const job = await runTrainingJob(project.deps, PERSONA, { reason: 'manual', overrides: { maxSteps: 6 } });
  assert.equal(job.status, 'promoted', job.message ?? '');
  await project.engine.dispose();
  await project.store.close();

  const trained = exportCli(root, '--out', 'out-champion', '--int8');
  assert.equal(trained.status, 0, trained.stderr);
  assert.match(trained.stdout, new RegExp(`Exported tiny ${job.version} .*int8`));
  const onnx = join(root, 'out-champion', 'onnx', 'model.onnx');
  assert.ok(readFileSync(onnx).length < readFileSync(join(root, 'out-base', 'onnx', 'model.onnx')).length, 'int8 is smaller');
  const reopened = await openProject(root);
  await reopened.engine.verifyModelFolder(join(root, 'out-champion'));
  await reopened.engine.dispose();
  await reopened.store.close();

  const again = exportCli(root, '--out', 'out-base');
  assert.equal(again.status, 1);
  assert.match(again.stderr, /already exists and is not empty/);
  assert.ok(readdirSync(join(root, 'out-base')).includes('model.safetensors'), 'left alone');
});
