/**
 * Large folders get their serving graph exported in a child process, so the export's
 * gigabytes go back to the system before ONNX Runtime loads the graph. Forced here on a tiny
 * folder (threshold 0): the child writes the same bytes as an export in this process, and
 * its failure reaches the caller as the same error.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { isPersonaError } from '../../../src/errors.ts';
import { exportForServing, writeInferenceOnnx } from '../../../src/modelfmt/onnx/folder-graph.ts';
import { writeTinyModelFolder } from '../../fixtures/tiny-model-folder.ts';

test('a child process writes the same graph as this process, and reports its errors as ours', (t) => {
  const { dir } = writeTinyModelFolder({ onnx: false });
  const out = mkdtempSync(join(tmpdir(), 'export-in-child-'));
  t.after(() => {
    rmSync(dir, { recursive: true, force: true });
    rmSync(out, { recursive: true, force: true });
  });
  const here = writeInferenceOnnx(dir, { quantize: 'int8' }, join(out, 'here', 'model.onnx'));
  const child = exportForServing(dir, { quantize: 'int8' }, join(out, 'child', 'model.onnx'), 0);
  assert.equal(child, join(out, 'child', 'model.onnx'));
  assert.ok(readFileSync(child).equals(readFileSync(here)), 'byte-identical graphs');

  truncateSync(join(dir, 'model.safetensors'), statSync(join(dir, 'model.safetensors')).size - 10);
  let inProcess: unknown;
  try {
    writeInferenceOnnx(dir, {}, join(out, 'broken-here', 'model.onnx'));
  } catch (error) {
    inProcess = error;
  }
  assert.ok(isPersonaError(inProcess), 'the broken folder fails in this process');
  assert.throws(
    () => exportForServing(dir, {}, join(out, 'broken-child', 'model.onnx'), 0),
    (error: unknown) => isPersonaError(error, inProcess.code) && error.message === inProcess.message,
  );
});
