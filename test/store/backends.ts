/**
 * Runs a test suite against both store backends: a temporary SQLite file and a real
 * redis-server on a free port (started here, stopped after). Tests share one store per
 * backend and keep apart by using their own persona ids.
 */
import { describe, before, after } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore, type Store } from '../../src/store/index.ts';
import { startRedis, type RedisServer } from './redis-server.ts';

export function onEveryBackend(title: string, suite: (store: () => Store) => void): void {
  describe(`${title} (sqlite)`, () => {
    let store: Store;
    let dir: string;
    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'persona-store-'));
      store = await openStore(`sqlite://${join(dir, 'persona.sqlite')}`);
    });
    after(async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    });
    suite(() => store);
  });

  describe(`${title} (redis)`, () => {
    let store: Store;
    let server: RedisServer;
    before(async () => {
      server = await startRedis();
      store = await openStore(server.url);
    });
    after(async () => {
      await store?.close();
      await server?.stop();
    });
    suite(() => store);
  });
}
