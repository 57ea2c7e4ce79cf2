/** The model cache's memory budget: least recently used idle models go first; models in use are disposed only after their replies end. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ModelCache } from '../../src/inference/model-cache.ts';
import { PersonaError } from '../../src/errors.ts';

function fakeModel(name: string, bytes: number, disposed: string[]) {
  return async () => ({ name, bytes, dispose: async () => void disposed.push(name) });
}

test('over budget, the least recently used idle model is evicted', async () => {
  const disposed: string[] = [];
  const cache = new ModelCache<{ name: string; bytes: number; dispose(): Promise<void> }>(100);
  (await cache.acquire('a', 'v1', fakeModel('a', 40, disposed))).release();
  (await cache.acquire('b', 'v1', fakeModel('b', 40, disposed))).release();
  (await cache.acquire('a', 'v1', fakeModel('a-again', 40, disposed))).release(); // a is now the most recent
  (await cache.acquire('c', 'v1', fakeModel('c', 40, disposed))).release();
  assert.deepEqual(disposed, ['b']);
  assert.deepEqual(cache.keys, ['a@v1', 'c@v1']);
});

test('a model in use is never disposed under a reply; it goes when released', async () => {
  const disposed: string[] = [];
  const cache = new ModelCache<{ name: string; bytes: number; dispose(): Promise<void> }>(50);
  const busy = await cache.acquire('a', 'v1', fakeModel('a', 40, disposed));
  const next = await cache.acquire('a', 'v2', fakeModel('a2', 40, disposed), { replaceOthers: true });
  assert.deepEqual(disposed, []);
  assert.deepEqual(cache.keys, ['a@v2']);
  busy.release();
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(disposed, ['a']);
  next.release();
});

test('a failed load changes nothing and concurrent loads of one model share the work', async () => {
  const disposed: string[] = [];
  const cache = new ModelCache<{ name: string; bytes: number; dispose(): Promise<void> }>(1000);
  (await cache.acquire('a', 'v1', fakeModel('a', 10, disposed))).release();
  await assert.rejects(
    cache.acquire(
      'a',
      'v2',
      async () => {
        throw new PersonaError('model_corrupt', 'bad');
      },
      { replaceOthers: true },
    ),
  );
  assert.deepEqual(cache.keys, ['a@v1']);
  let loads = 0;
  const load = async () => ({ name: 'b', bytes: 10, dispose: async () => undefined, loads: ++loads });
  const [x, y] = await Promise.all([cache.acquire('b', 'v1', load), cache.acquire('b', 'v1', load)]);
  assert.equal(loads, 1);
  assert.equal(x.model, y.model);
});
