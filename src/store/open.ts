/**
 * Opens the store named by `config.storeUrl`: `sqlite:///abs/path/file.sqlite` (default,
 * embedded, no server) or `redis://[user:pass@]host:port[/db]` (shared by several
 * processes or machines). This module and its neighbours are the only importers of keyv.
 */
import { existsSync, rmSync } from 'node:fs';
import { Keyv } from 'keyv';
import KeyvRedis from '@keyv/redis';
import { PersonaError } from '../errors.js';
import type { IdentityOptions } from './identity.js';
import { KeyvStore } from './keyv-store.js';
import { RedisNative } from './redis-native.js';
import { SqliteKeyvAdapter } from './sqlite-adapter.js';
import type { Store } from './types.js';

/** Redis key namespace, so the project's keys never collide with other users of the server. */
const REDIS_NAMESPACE = 'persona';
const REDIS_CONNECT_TIMEOUT_MS = 5000;

const keyvOptions = {
  serialize: JSON.stringify,
  deserialize: (raw: string) => JSON.parse(raw),
  throwOnErrors: true,
} as const;

/** Options of opening: the registry of known stores and whether a new one may be created (identity.ts). */
export type OpenOptions = IdentityOptions;

export async function openStore(url: string, options: OpenOptions = {}): Promise<Store> {
  if (url.startsWith('sqlite:')) return openSqlite(sqlitePath(url), options);
  if (url.startsWith('redis:') || url.startsWith('rediss:')) return openRedis(url, options);
  throw new PersonaError('config_invalid', `STORE_URL "${url}" is not supported: use sqlite:///absolute/path.sqlite or redis://host:port.`, {
    field: 'STORE_URL',
  });
}

/** `sqlite:///abs/path` (what config builds), `sqlite:relative/path` or `sqlite::memory:`. */
function sqlitePath(url: string): string {
  if (url === 'sqlite::memory:') return ':memory:';
  if (url.startsWith('sqlite://')) return url.slice('sqlite://'.length);
  return url.slice('sqlite:'.length);
}

async function openSqlite(path: string, options: OpenOptions): Promise<Store> {
  const existed = path === ':memory:' || existsSync(path);
  let adapter: SqliteKeyvAdapter;
  try {
    adapter = new SqliteKeyvAdapter(path);
  } catch (error) {
    throw new PersonaError('store_unavailable', `Cannot open the SQLite store ${path}: ${(error as Error).message}.`, { store: path }, { cause: error });
  }
  const keyv = new Keyv({ store: adapter, useKeyPrefix: false, ...keyvOptions });
  const store = new KeyvStore('sqlite', keyv, adapter, path);
  try {
    return await store.open(options);
  } catch (error) {
    await store.close();
    // Refused (a typo in STORE_URL): leave no empty database file behind.
    if (!existed) for (const suffix of ['', '-wal', '-shm']) rmSync(`${path}${suffix}`, { force: true });
    throw error;
  }
}

async function openRedis(url: string, options: OpenOptions): Promise<Store> {
  const where = url.replace(/\/\/[^@/]*@/, '//***@');
  // Fail fast when the server is not there at start-up; once connected, reconnect with backoff.
  let connected = false;
  const reconnectStrategy = (retries: number, cause: Error) => (connected ? Math.min(2 ** retries * 100, 2000) : cause);
  // No offline queue: while the server is away, calls fail at once (and the studio answers 503) instead of hanging.
  const adapter = new KeyvRedis(
    { url, socket: { connectTimeout: REDIS_CONNECT_TIMEOUT_MS, reconnectStrategy }, disableOfflineQueue: true },
    {
      namespace: REDIS_NAMESPACE,
      throwOnConnectError: true,
      throwOnErrors: true,
      connectionTimeout: REDIS_CONNECT_TIMEOUT_MS,
    },
  );
  const keyv = new Keyv({ store: adapter, useKeyPrefix: false, namespace: REDIS_NAMESPACE, ...keyvOptions });
  let client: { on(event: 'ready', listener: () => void): unknown };
  try {
    client = (await adapter.getClient()) as typeof client;
    connected = true;
  } catch (error) {
    await adapter.disconnect().catch(() => undefined);
    throw new PersonaError('store_unavailable', `Cannot connect to the Redis store ${where}: ${(error as Error).message}.`, { store: where }, { cause: error });
  }
  const store = new KeyvStore('redis', keyv, new RedisNative(adapter), where);
  client.on('ready', () => store.markStale()); // every later 'ready' is a reconnect
  try {
    return await store.open(options);
  } catch (error) {
    await store.close();
    throw error;
  }
}

/** Opens the store, runs `use`, and closes the store whatever happens (CLI commands, scripts). */
export async function withStore<T>(url: string, use: (store: Store) => Promise<T>, options: OpenOptions = {}): Promise<T> {
  const store = await openStore(url, options);
  try {
    return await use(store);
  } finally {
    await store.close();
  }
}
