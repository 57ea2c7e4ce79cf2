/**
 * Which engine answers chat in each role split: the local engine unless the process has the
 * bots role without the generator role over a Redis store, and a split that needs the shared
 * queues refused with a sentence naming STORE_URL on the embedded store.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/config.ts';
import { generatesRemotely } from '../../src/app/remote-engine.ts';
import { serveRoles } from '../../src/app/roles.ts';
import { isPersonaError } from '../../src/errors.ts';

const root = mkdtempSync(join(tmpdir(), 'roles-'));
const redis = loadConfig({ root, env: { STORE_URL: 'redis://127.0.0.1:6379/3' } });
const sqlite = loadConfig({ root, env: {} });

test('bots without the generator role over Redis send replies to generator workers; every other split generates here', () => {
  const remote = (roles: string[]) => generatesRemotely(redis, serveRoles(redis, roles));
  assert.equal(remote(['bots']), 'redis://127.0.0.1:6379/3');
  assert.equal(remote(['bots', 'scheduler']), 'redis://127.0.0.1:6379/3');
  assert.equal(remote(['bots', 'generator']), undefined);
  assert.equal(remote([]), undefined, 'all roles, the default');
  assert.equal(remote(['generator']), undefined, 'no bots here');
  assert.equal(generatesRemotely(sqlite, serveRoles(sqlite, [])), undefined, 'one process on the embedded store');
});

test('a generator-only worker on the embedded store is refused with a sentence naming STORE_URL', () => {
  assert.throws(
    () => serveRoles(sqlite, ['generator']),
    (error) => isPersonaError(error, 'config_invalid') && /STORE_URL to a redis:\/\/ URL/.test(error.message),
  );
  assert.throws(
    () => serveRoles(redis, ['bots', 'gpu']),
    (error) => isPersonaError(error, 'config_invalid') && /bots, scheduler, trainer, generator/.test(error.message),
  );
});
