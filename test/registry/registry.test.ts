import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../../src/store/index.ts';
import { ModelRegistry } from '../../src/registry/registry.ts';
import type { ChampionChange } from '../../src/registry/types.ts';
import { isPersonaError } from '../../src/errors.ts';

/** A registry over a real SQLite store whose "loadable" check is: the folder has model.ok. */
async function setup() {
  const root = mkdtempSync(join(tmpdir(), 'registry-'));
  const store = await openStore(`sqlite://${join(root, 'store.sqlite')}`);
  const registry = new ModelRegistry(store, join(root, 'models'), async (dir) => {
    if (!existsSync(join(dir, 'model.ok'))) throw new Error(`${dir}/model.ok is missing`);
  });
  const changes: ChampionChange[] = [];
  registry.on('champion', (change) => changes.push(change));
  async function addVersion(version: string, loadable = true) {
    const dir = join(root, 'models', 'fdr', version);
    mkdirSync(dir, { recursive: true });
    if (loadable) writeFileSync(join(dir, 'model.ok'), '');
    return registry.register({
      persona: 'fdr',
      version,
      dir,
      createdAt: new Date().toISOString(),
      base: 'models/base',
      method: 'lora',
      hyperparameters: {},
      metrics: { validation_loss: 2 },
    });
  }
  return { root, store, registry, changes, addVersion };
}

test('promote switches the champion, archives the old one and tells listeners', async () => {
  const { registry, changes, addVersion, store } = await setup();
  await addVersion('v1');
  await addVersion('v2');
  await registry.promote('fdr', 'v1');
  await registry.promote('fdr', 'v2', 'beat v1 on validation loss');
  const champion = await registry.champion('fdr');
  assert.equal(champion?.version, 'v2');
  assert.equal(champion?.note, 'beat v1 on validation loss');
  assert.deepEqual(
    (await registry.list('fdr')).map((r) => `${r.version}:${r.status}`),
    ['v1:archived', 'v2:champion'],
  );
  assert.deepEqual(
    changes.map((c) => c.version),
    ['v1', 'v2'],
  );
  await store.close();
});

test('a version that does not load is never made champion', async () => {
  const { registry, addVersion, store } = await setup();
  await addVersion('v1');
  await registry.promote('fdr', 'v1');
  await addVersion('v2', false);
  await assert.rejects(registry.promote('fdr', 'v2'), (e) => isPersonaError(e, 'model_corrupt') && /v2 does not load/.test(e.message));
  assert.equal((await registry.champion('fdr'))?.version, 'v1');
  await store.close();
});

test('rollback walks back through previous champions, then to the base model', async () => {
  const { registry, addVersion, changes, store } = await setup();
  for (const v of ['v1', 'v2', 'v3']) {
    await addVersion(v);
    await registry.promote('fdr', v);
  }
  assert.equal((await registry.rollback('fdr'))?.version, 'v2');
  assert.equal((await registry.rollback('fdr'))?.version, 'v1');
  assert.equal(await registry.rollback('fdr'), null);
  assert.equal(await registry.champion('fdr'), null);
  assert.deepEqual(
    changes.map((c) => c.version),
    ['v1', 'v2', 'v3', 'v2', 'v1', null],
  );
  await assert.rejects(registry.rollback('fdr'), (e) => isPersonaError(e, 'model_not_found'));
  await store.close();
});

test('remove refuses the champion; prune keeps the champion and the newest others', async () => {
  const { registry, addVersion, store } = await setup();
  for (const v of ['v1', 'v2', 'v3', 'v4']) await addVersion(v);
  await registry.promote('fdr', 'v1');
  await assert.rejects(registry.remove('fdr', 'v1'), /is the champion/);
  assert.deepEqual(await registry.prune('fdr', 1), ['v2', 'v3']);
  assert.deepEqual(
    (await registry.list('fdr')).map((r) => r.version),
    ['v1', 'v4'],
  );
  await store.close();
});

test('recover removes unfinished folders of dead processes and moves the champion off a missing folder', async () => {
  const { root, registry, addVersion, store } = await setup();
  await addVersion('v1');
  await addVersion('v2');
  await registry.promote('fdr', 'v1');
  await registry.promote('fdr', 'v2');
  const deadTemp = join(root, 'models', 'fdr', '.tmp-v3-999999');
  const liveTemp = join(root, 'models', 'fdr', `.tmp-v4-${process.pid}`);
  mkdirSync(deadTemp);
  mkdirSync(liveTemp);
  const { rmSync } = await import('node:fs');
  rmSync(join(root, 'models', 'fdr', 'v2'), { recursive: true });
  const fixed = await registry.recover('fdr');
  assert.ok(!existsSync(deadTemp));
  assert.ok(existsSync(liveTemp), 'a running process keeps its temp folder');
  assert.equal((await registry.champion('fdr'))?.version, 'v1');
  assert.ok(fixed.some((line) => /champion restored to v1/.test(line)));
  await store.close();
});
