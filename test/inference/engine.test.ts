/**
 * replyAs end to end on tiny model folders: the newest version answers, a newly trained
 * version is swapped in while a reply is still running on the old one (which finishes
 * normally), a corrupt new version leaves the previous one serving, and concurrent replies
 * past the queue limits get a clear generation_busy error.
 */
import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/config.ts';
import { InferenceEngine } from '../../src/inference/engine.ts';
import { personaSchema } from '../../src/personas/schema.ts';
import { isPersonaError } from '../../src/errors.ts';
import { writeTinyModelFolder } from '../fixtures/tiny-model-folder.ts';

const persona = personaSchema.parse({
  id: 'tess',
  name: 'Tess',
  system_prompt: 'You are Tess.',
  sampling: { temperature: 0, repetition_penalty: 1, max_new_tokens: 12 },
});
const turns = [{ speaker: 'Alice', text: 'Hello there, how are you today?' }];
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function setup(env: Record<string, string> = {}) {
  const root = mkdtempSync(join(tmpdir(), 'engine-'));
  const config = loadConfig({ root, env: { DATA_DIR: 'data', BASE_MODEL_DIR: 'base', ...env } });
  const versionDir = (v: string) => join(config.DATA_DIR, 'models', 'tess', v);
  const engine = new InferenceEngine(config);
  cleanups.push(
    () => rmSync(root, { recursive: true, force: true }),
    () => engine.dispose(),
  );
  return { config, engine, versionDir };
}

test('the base answers an untrained persona; a version folder takes over once it exists', async () => {
  const { config, engine, versionDir } = setup();
  writeTinyModelFolder({ dir: config.BASE_MODEL_DIR, seed: 1 });
  const fromBase = await engine.replyAs(persona, turns);
  assert.equal(fromBase.model.version, 'base');
  assert.equal(fromBase.tokens.length, 12);
  mkdirSync(versionDir('v1'), { recursive: true });
  writeTinyModelFolder({ dir: versionDir('v1'), seed: 2 });
  const fromVersion = await engine.replyAs(persona, turns);
  assert.equal(fromVersion.model.version, 'v1');
  assert.notDeepEqual(fromVersion.tokens, fromBase.tokens);
  assert.equal((await engine.replyAs(persona, turns, { model: 'base' })).text, fromBase.text, 'base can still be pinned');
});

test('hot swap: a reply in flight finishes on the old version, new replies use the new one', async () => {
  const { engine, versionDir } = setup();
  writeTinyModelFolder({ dir: versionDir('v1'), seed: 1 });
  const expectedOld = await engine.replyAs(persona, turns, { overrides: { max_new_tokens: 60 } });
  let second: Promise<Awaited<ReturnType<typeof engine.replyAs>>> | undefined;
  let deltasAfterSwap = 0;
  const first = await engine.replyAs(persona, turns, {
    overrides: { max_new_tokens: 60 },
    onDelta: () => {
      if (second) deltasAfterSwap++;
      else {
        writeTinyModelFolder({ dir: versionDir('v2'), seed: 2 });
        second = engine.replyAs(persona, turns);
      }
    },
  });
  const swapped = await second!;
  assert.equal(first.model.version, 'v1');
  assert.deepEqual(first.tokens, expectedOld.tokens, 'the old reply was not disturbed');
  assert.ok(deltasAfterSwap > 0, 'the swap happened while the old reply was still generating');
  assert.equal(swapped.model.version, 'v2');
  assert.deepEqual(engine.loadedModels, ['tess@v2'], 'the old version was released after its reply finished');
});

test('a corrupt new version is refused and the previous model keeps answering', async () => {
  const { engine, versionDir } = setup();
  writeTinyModelFolder({ dir: versionDir('v1'), seed: 1 });
  const before = await engine.replyAs(persona, turns);
  const broken = writeTinyModelFolder({ dir: versionDir('v2'), seed: 2 });
  writeFileSync(join(broken.dir, 'onnx', 'model.onnx'), 'not an onnx file');
  const after = await engine.replyAs(persona, turns);
  assert.equal(after.model.version, 'v1');
  assert.equal(after.text, before.text);
  await assert.rejects(engine.replyAs(persona, turns, { model: 'v2' }), (e) => isPersonaError(e, 'model_corrupt') && e.message.includes('model.onnx'));
  await assert.rejects(engine.replyAs(persona, turns, { model: 'v9' }), (e) => isPersonaError(e, 'model_not_found') && e.message.includes('v1, v2'));
});

test('past the queue limits a concurrent reply gets generation_busy', async () => {
  const limits: Record<string, string>[] = [{ GENERATION_MAX_QUEUE: '0' }, { GENERATION_MAX_QUEUE: '4', GENERATION_MAX_WAIT_MS: '1' }];
  for (const env of limits) {
    const { engine, versionDir } = setup(env);
    writeTinyModelFolder({ dir: versionDir('v1'), seed: 1 });
    await engine.replyAs(persona, turns); // load outside the race
    const long = engine.replyAs(persona, turns, { overrides: { max_new_tokens: 200 } });
    await assert.rejects(engine.replyAs(persona, turns), (e) => isPersonaError(e, 'generation_busy') && /busy/.test(e.message));
    assert.equal((await long).tokens.length, 200, 'the running reply is unaffected');
  }
});

test('swapTo (the champion hook) preloads a version; a broken one throws and the old keeps serving', async () => {
  const root = mkdtempSync(join(tmpdir(), 'engine-'));
  const config = loadConfig({ root, env: { DATA_DIR: 'data' } });
  const dirOf = (v: string) => join(config.DATA_DIR, 'models', 'tess', v);
  let champion = { version: 'v1', dir: dirOf('v1') };
  const engine = new InferenceEngine(config, { resolveCurrent: async () => champion });
  cleanups.push(
    () => rmSync(root, { recursive: true, force: true }),
    () => engine.dispose(),
  );
  writeTinyModelFolder({ dir: dirOf('v1'), seed: 1 });
  writeTinyModelFolder({ dir: dirOf('v2'), seed: 2 });
  assert.equal((await engine.replyAs(persona, turns)).model.version, 'v1');
  const broken = writeTinyModelFolder({ dir: dirOf('v3'), seed: 3 });
  writeFileSync(join(broken.dir, 'config.json'), '{ "vocab_size": ');
  await assert.rejects(
    engine.swapTo(persona, { version: 'v3', dir: dirOf('v3') }),
    (e) => isPersonaError(e, 'model_corrupt') && e.message.includes('config.json'),
  );
  assert.deepEqual(engine.loadedModels, ['tess@v1']);
  await engine.swapTo(persona, { version: 'v2', dir: dirOf('v2') });
  assert.deepEqual(engine.loadedModels, ['tess@v2']);
  champion = { version: 'v2', dir: dirOf('v2') };
  assert.equal((await engine.replyAs(persona, turns)).model.version, 'v2');
});
