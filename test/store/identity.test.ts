/**
 * A store that lost its data, a server that went away, and a typo in STORE_URL (issue #18),
 * against a real redis-server and real SQLite files.
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { isPersonaError } from '../../src/errors.ts';
import { openStore, type Store } from '../../src/store/index.ts';
import { startRedis } from './redis-server.ts';

const dir = mkdtempSync(join(tmpdir(), 'persona-identity-'));
const registry = join(dir, 'stores.json');

/** Retries `call` until it stops failing with store_unavailable because the server is down. */
async function afterReconnect(store: Store): Promise<unknown> {
  for (let i = 0; i < 100; i++) {
    try {
      return await store.get('anything');
    } catch (error) {
      if (isPersonaError(error, 'store_unavailable') && /lost its data/.test(error.message)) return error;
      await sleep(100);
    }
  }
  throw new Error('the store never reconnected');
}

it('Redis down: calls fail at once with store_unavailable; restarted empty: every call says the store lost its data', { timeout: 30_000 }, async () => {
  let server = await startRedis();
  const store = await openStore(server.url);
  try {
    await store.set('registry:champion', 'v1');
    await server.stop();
    const started = Date.now();
    await assert.rejects(store.get('registry:champion'), (error) => isPersonaError(error, 'store_unavailable'));
    assert.ok(Date.now() - started < 6000, `a call while Redis is down failed after ${Date.now() - started} ms`);

    server = await startRedis({ port: server.port }); // no persistence: it comes back empty
    const error = await afterReconnect(store);
    assert.ok(isPersonaError(error, 'store_unavailable'), String(error));
    await assert.rejects(store.set('registry:champion', 'v2'), /lost its data/, 'writes are refused too: nothing is promoted into the empty store');
  } finally {
    await store.close();
    await server.stop();
  }
});

it('with a registry, an empty store that was used before is refused on open (Redis restarted between runs)', { timeout: 20_000 }, async () => {
  let server = await startRedis();
  try {
    const first = await openStore(server.url, { registry });
    await first.set('sample:x', { text: 'kept' });
    await first.close();
    const again = await openStore(server.url, { registry });
    assert.deepEqual(await again.get('sample:x'), { text: 'kept' });
    await again.close();
    await server.stop();
    server = await startRedis({ port: server.port }); // the same address, now empty
    await assert.rejects(openStore(server.url, { registry }), (error) => isPersonaError(error, 'store_unavailable') && /lost its data/.test(error.message));
  } finally {
    await server.stop();
  }
});

it('outside the first run, a STORE_URL that names no existing store is refused, and no file is left behind', async () => {
  const sqliteRegistry = join(dir, 'sqlite-stores.json');
  const real = join(dir, 'persona.sqlite');
  await (await openStore(`sqlite://${real}`, { registry: sqliteRegistry })).close(); // first run: created
  const typo = join(dir, 'persona.sqlte');
  await assert.rejects(
    openStore(`sqlite://${typo}`, { registry: sqliteRegistry }),
    (error) => isPersonaError(error, 'config_invalid') && /typo/.test(error.message) && /STORE_CREATE=1/.test(error.message),
  );
  assert.equal(existsSync(typo), false);
  const reopened = await openStore(`sqlite://${real}`, { registry: sqliteRegistry });
  await reopened.close();
  const created = await openStore(`sqlite://${typo}`, { registry: sqliteRegistry, create: true });
  await created.close();
  assert.ok(existsSync(typo));
  rmSync(dir, { recursive: true, force: true });
});
