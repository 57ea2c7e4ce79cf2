/**
 * Persona management with its data (real SQLite store, real folders): copy brings the file
 * (comments kept), avatar and samples; rename to a new id moves samples, model versions,
 * the champion, job history and folders; remove deletes all of it and leaves other personas
 * alone; a persona being trained is neither renamed nor removed.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { copyPersona, createPersona, removePersona, renamePersona } from '../../src/app/persona-lifecycle.ts';
import { loadConfig } from '../../src/config/config.ts';
import { addDrafts, countSamples, listFeedback, recordFeedback } from '../../src/curation/index.ts';
import { isPersonaError } from '../../src/errors.ts';
import { listPersonaIds, loadPersona } from '../../src/personas/load.ts';
import { ModelRegistry } from '../../src/registry/registry.ts';
import { jobHistory } from '../../src/scheduler/history.ts';
import { acquireLock, trainingLockKey } from '../../src/scheduler/training-lock.ts';
import { openStore, type Store } from '../../src/store/index.ts';
import { StoreState } from '../../src/app/chat-services.ts';
import { AdapterState } from '../../src/adapters/middleware/state.ts';
import { draft } from '../curation/helpers.ts';

async function project() {
  const root = mkdtempSync(join(tmpdir(), 'lifecycle-'));
  mkdirSync(join(root, 'personas'));
  writeFileSync(join(root, 'personas', 'ada.yaml'), '# Ada, hand-written\nid: ada\nname: Ada\navatar: ada.png\n');
  writeFileSync(join(root, 'personas', 'ada.png'), Buffer.from('not really a png'));
  writeFileSync(join(root, 'personas', 'bob.yaml'), 'id: bob\nname: Bob\n');
  const config = loadConfig({ root, env: { LOG_LEVEL: 'silent' } });
  const store = await openStore(config.storeUrl);
  await addDrafts(store, [draft('ada', '1', 'first line'), draft('ada', '2', 'second line')], { trusted: true });
  await addDrafts(store, [draft('ada', '3', 'a pending capture', { author: { platform: 'discord', id: '42' } })]);
  await addDrafts(store, [draft('bob', '1', 'bob speaks')], { trusted: true });
  const registry = new ModelRegistry(store, join(config.DATA_DIR, 'models'), async () => undefined);
  const versionDir = join(config.DATA_DIR, 'models', 'ada', 'v1');
  mkdirSync(versionDir, { recursive: true });
  writeFileSync(join(versionDir, 'config.json'), '{}');
  await registry.register({
    persona: 'ada',
    version: 'v1',
    dir: versionDir,
    createdAt: '2026-01-01',
    base: 'base',
    method: 'lora',
    hyperparameters: {},
    metrics: {},
  });
  await registry.promote('ada', 'v1');
  await jobHistory(store).start('ada', 'manual');
  await new AdapterState(new StoreState(store)).setChannelPersona('discord', '10', 'ada');
  return { root, config, store, registry, deps: { config, store } };
}

async function keysOf(store: Store, persona: string): Promise<string[]> {
  const keys: string[] = [];
  for (const prefix of [`dedupe:${persona}:`, `feedback:${persona}:`, `model:${persona}:`, `job:${persona}:`, `champion:${persona}`])
    for await (const [key] of store.scan(prefix)) keys.push(key);
  return keys;
}

test('copy: file with its comments, new name, avatar and samples in the same states; the original is untouched', async () => {
  const { root, config, store, deps } = await project();
  try {
    const copy = await copyPersona(deps, 'ada', 'ada-2');
    assert.equal(copy.name, 'Ada (copy)');
    assert.equal(copy.avatar, 'ada-2.png');
    assert.match(readFileSync(join(config.PERSONAS_DIR, 'ada-2.yaml'), 'utf8'), /^# Ada, hand-written/);
    assert.ok(existsSync(join(config.PERSONAS_DIR, 'ada-2.png')));
    assert.deepEqual(await countSamples(store, 'ada-2'), await countSamples(store, 'ada'));
    assert.equal((await countSamples(store, 'ada-2')).approved, 2);
    await assert.rejects(
      copyPersona(deps, 'ada', 'bob'),
      (e) => isPersonaError(e, 'invalid_argument') && /already exists/.test(e.message) && /bob\.yaml/.test(e.message),
    );
    await assert.rejects(copyPersona(deps, 'ada', 'Bad Id'), (e) => isPersonaError(e, 'invalid_argument') && /not a valid persona id/.test(e.message));
  } finally {
    await store.close();
    rmSync(root, { recursive: true, force: true });
  }
});

test('rename to a new id moves samples, versions, the champion, jobs and folders; a name-only rename keeps the id', async () => {
  const { root, config, store, registry, deps } = await project();
  try {
    const before = await countSamples(store, 'ada');
    const renamed = await renamePersona(deps, 'ada', { newId: 'lovelace', name: 'Ada Lovelace' });
    assert.equal(renamed.id, 'lovelace');
    assert.deepEqual(listPersonaIds(config.PERSONAS_DIR), ['bob', 'lovelace']);
    assert.ok(!existsSync(join(config.PERSONAS_DIR, 'ada.png')) && existsSync(join(config.PERSONAS_DIR, 'lovelace.png')));
    assert.deepEqual(await countSamples(store, 'lovelace'), before);
    assert.equal((await countSamples(store, 'ada')).approved, 0);
    const champion = await registry.champion('lovelace');
    assert.equal(champion?.version, 'v1');
    assert.equal(champion?.persona, 'lovelace');
    assert.ok(existsSync(join(champion!.dir, 'config.json')), 'the version folder moved with its record');
    assert.equal((await jobHistory(store).list('lovelace')).length, 1);
    assert.equal(
      await new AdapterState(new StoreState(store)).channelPersona('discord', '10'),
      'lovelace',
      'a channel that chose Ada keeps her under the new id',
    );
    assert.deepEqual(await keysOf(store, 'ada'), []);
    const retitled = await renamePersona(deps, 'lovelace', { name: 'Countess' });
    assert.equal(retitled.id, 'lovelace');
    assert.equal(loadPersona(config.PERSONAS_DIR, 'lovelace').name, 'Countess');
  } finally {
    await store.close();
    rmSync(root, { recursive: true, force: true });
  }
});

test('remove deletes the persona and all its data, and nothing of the others', async () => {
  const { root, config, store, deps } = await project();
  try {
    await recordFeedback(store, {
      persona: 'ada',
      platform: 'discord',
      channelId: '7',
      messageId: '9',
      userId: '42',
      rating: 'up',
      reply: 'hi',
      context: [],
      at: 1,
      added: true,
    });
    const summary = await removePersona(deps, 'ada');
    assert.equal(summary.samples, 3);
    assert.equal(summary.versions, 1);
    assert.deepEqual(listPersonaIds(config.PERSONAS_DIR), ['bob']);
    assert.ok(!existsSync(join(config.PERSONAS_DIR, 'ada.png')));
    assert.ok(!existsSync(join(config.DATA_DIR, 'models', 'ada')));
    assert.ok(Object.values(await countSamples(store, 'ada')).every((n) => n === 0));
    assert.deepEqual(await keysOf(store, 'ada'), []);
    assert.deepEqual(await listFeedback(store, 'ada'), []);
    assert.equal(await new AdapterState(new StoreState(store)).channelPersona('discord', '10'), undefined);
    assert.deepEqual(await store.members('idx:author:discord:42'), []);
    assert.equal((await countSamples(store, 'bob')).approved, 1);
  } finally {
    await store.close();
    rmSync(root, { recursive: true, force: true });
  }
});

test('a persona being trained is not renamed or removed; create refuses an existing id', async () => {
  const { root, config, store, deps } = await project();
  try {
    const lock = await acquireLock(store, trainingLockKey('ada'));
    await assert.rejects(removePersona(deps, 'ada'), (e) => isPersonaError(e, 'training_locked'));
    await assert.rejects(renamePersona(deps, 'ada', { newId: 'x' }), (e) => isPersonaError(e, 'training_locked'));
    await lock!.release();
    assert.deepEqual(listPersonaIds(config.PERSONAS_DIR), ['ada', 'bob']);
    assert.equal((await countSamples(store, 'ada')).approved, 2);
    assert.throws(
      () => createPersona(deps, { id: 'bob', name: 'Other Bob' }),
      (e) => isPersonaError(e, 'invalid_argument') && /"bob" already exists/.test(e.message),
    );
    assert.equal(createPersona(deps, { id: 'cy', name: 'Cy' }).name, 'Cy');
    assert.equal(loadPersona(config.PERSONAS_DIR, 'cy').training.method, 'lora');
  } finally {
    await store.close();
    rmSync(root, { recursive: true, force: true });
  }
});
