/**
 * The demo-base fact: the bundled models/base is recognised by its model card, a persona
 * with no base: (or base: pointing at it) uses it, a pulled or other folder does not, and
 * the notice names the pull command and the base: line to write.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadConfig } from '../../src/config/config.ts';
import { demoBaseNotice, isBundledDemoBase, usesBundledDemoBase } from '../../src/hub/base-location.ts';

test('the bundled base is recognised as the demo base, other bases are not', () => {
  assert.equal(isBundledDemoBase(resolve('models/base')), true, "the shipped model card's title identifies it");
  const root = mkdtempSync(join(tmpdir(), 'demo-base-'));
  try {
    mkdirSync(join(root, 'mine'));
    writeFileSync(join(root, 'mine', 'README.md'), '# my model\n');
    const config = loadConfig({ root, env: { BASE_MODEL_DIR: resolve('models/base'), HF_HOME: join(root, 'hf') } });
    assert.equal(usesBundledDemoBase(config, undefined), true);
    assert.equal(usesBundledDemoBase(config, 'mine'), false);
    assert.equal(usesBundledDemoBase(config, 'org/not-pulled'), false, 'an unresolvable base is not the demo base (its own error comes later)');
    assert.match(
      demoBaseNotice('Tess'),
      /^Tess is built on the bundled demo base.*`npx persona base pull HuggingFaceTB\/SmolLM2-360M-Instruct`.*`base: HuggingFaceTB\/SmolLM2-360M-Instruct`/,
    );
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
