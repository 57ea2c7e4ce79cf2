/**
 * The store contract on Redis, against a real redis-server started on a free port.
 * Fails (does not skip) when redis-server is missing: `apt-get install redis-server`.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { openStore } from '../../src/store/index.ts';
import { isPersonaError } from '../../src/errors.ts';
import { storeContract } from './store.case.ts';
import { startRedis, type RedisServer } from './redis-server.ts';

let server: RedisServer;
const databases = new Map<string, number>();

before(async () => {
  server = await startRedis();
});
after(async () => {
  await server?.stop();
});

/** Each named store gets its own Redis database number, so suites start empty. */
storeContract('redis', async (name) => {
  if (!databases.has(name)) databases.set(name, databases.size + 1);
  return openStore(`${server.url}/${databases.get(name)}`);
});

describe('redis store', () => {
  it('says which server it could not reach', async () => {
    await assert.rejects(openStore('redis://127.0.0.1:1'), (error) => isPersonaError(error, 'store_unavailable') && /127\.0\.0\.1:1/.test(error.message));
  });
});
