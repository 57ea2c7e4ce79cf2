/**
 * The `Store` implementation: Keyv for values (get/set/delete, TTL, the Redis adapter),
 * the backend's native operations for batches, sets, set-if-absent and scans.
 */
import type { Keyv } from 'keyv';
import { PersonaError } from '../errors.js';
import { IDENTITY_KEY, establishIdentity, lostDataError, type IdentityOptions, type StoreIdentity } from './identity.js';
import { decodeValue, encodeValue, type NativeOps } from './native.js';
import type { ConditionalWrite, Store, StoreEntry, WriteBatch } from './types.js';

/** How long one store call may take before it fails (a server that stopped answering); scans read whole key ranges. */
const CALL_TIMEOUT_MS = 10_000;
const SCAN_TIMEOUT_MS = 60_000;

export class KeyvStore implements Store {
  private identity: StoreIdentity | undefined;
  /** Set after a reconnect: the identity is read again before the next call. */
  private stale = false;

  constructor(
    readonly kind: Store['kind'],
    private readonly keyv: Keyv,
    private readonly native: NativeOps,
    private readonly where: string,
  ) {}

  /** Reads (or, for a new store, writes) the store's identity; see identity.ts. */
  async open(options: IdentityOptions): Promise<this> {
    this.identity = await this.guard(() =>
      establishIdentity(
        {
          read: () => this.keyv.get<StoreIdentity>(IDENTITY_KEY),
          write: async (identity) => void (await this.keyv.set(IDENTITY_KEY, identity)),
          isEmpty: () => this.native.isEmpty(),
        },
        this.where,
        options,
      ),
    );
    return this;
  }

  /** The connection was lost and re-established (Redis): the server may have restarted empty. */
  markStale(): void {
    if (this.identity) this.stale = true;
  }

  private async checkIdentity(): Promise<void> {
    const current = await this.keyv.get<StoreIdentity>(IDENTITY_KEY);
    if (current?.id !== this.identity?.id) throw lostDataError(this.where, this.identity?.id ?? '?');
    this.stale = false;
  }

  /** A call that fails after CALL_TIMEOUT_MS instead of waiting for a server that does not answer. */
  private timed<T>(run: () => Promise<T>, ms = CALL_TIMEOUT_MS): Promise<T> {
    if (this.kind !== 'redis') return run(); // SQLite calls are synchronous underneath
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${ms / 1000} s`)), ms);
    });
    return Promise.race([run(), timeout]).finally(() => clearTimeout(timer));
  }

  /** Every backend failure becomes one PersonaError naming the store, so callers handle one code. */
  private async guard<T>(run: () => Promise<T>, ms = CALL_TIMEOUT_MS): Promise<T> {
    try {
      if (this.stale) await this.timed(() => this.checkIdentity());
      return await this.timed(run, ms);
    } catch (error) {
      if (error instanceof PersonaError) throw error;
      throw new PersonaError('store_unavailable', `The store at ${this.where} failed: ${(error as Error).message}.`, { store: this.where }, { cause: error });
    }
  }

  get<T>(key: string): Promise<T | undefined> {
    return this.guard(() => this.keyv.get<T>(key));
  }

  getMany<T>(keys: string[]): Promise<Array<T | undefined>> {
    if (keys.length === 0) return Promise.resolve([]);
    return this.guard(() => this.keyv.getMany<T>(keys));
  }

  hasMany(keys: string[]): Promise<boolean[]> {
    if (keys.length === 0) return Promise.resolve([]);
    return this.guard(() => this.keyv.hasMany(keys));
  }

  async set<T>(key: string, value: T, ttl?: number): Promise<void> {
    await this.guard(() => this.keyv.set(key, value, ttl));
  }

  async setMany(entries: StoreEntry[]): Promise<void> {
    if (entries.length > 0) await this.guard(() => this.keyv.setMany(entries));
  }

  delete(key: string): Promise<boolean> {
    return this.guard(() => this.keyv.delete(key));
  }

  async write(batch: WriteBatch): Promise<void> {
    const set = (batch.set ?? []).map(({ key, value, ttl }) => ({ key, raw: encodeValue(value, ttl), ttl }));
    await this.guard(() => this.native.write({ ...batch, set }));
  }

  writeEachIfAbsent(writes: ConditionalWrite[]): Promise<boolean[]> {
    if (writes.length === 0) return Promise.resolve([]);
    const raw = writes.map((w) => ({ ...w, set: w.set.map(({ key, value, ttl }) => ({ key, raw: encodeValue(value, ttl), ttl })) }));
    return this.guard(() => this.native.writeEachIfAbsent(raw));
  }

  setIfAbsent<T>(key: string, value: T, ttl?: number): Promise<boolean> {
    return this.guard(() => this.native.setIfAbsent(key, encodeValue(value, ttl), ttl));
  }

  deleteIfEquals<T>(key: string, value: T): Promise<boolean> {
    if (typeof value !== 'string') throw new PersonaError('invalid_argument', 'deleteIfEquals compares string values only (e.g. a lock owner token).');
    return this.guard(() => this.native.deleteIfEquals(key, value));
  }

  async *scan<T>(prefix: string): AsyncIterable<[string, T]> {
    const rows: Array<[string, string]> = await this.guard(async () => {
      const all: Array<[string, string]> = [];
      for await (const row of this.native.scan(prefix)) all.push(row);
      return all;
    }, SCAN_TIMEOUT_MS);
    for (const [key, raw] of rows) {
      const value = decodeValue<T>(raw);
      if (value !== undefined) yield [key, value];
    }
  }

  members(set: string): Promise<string[]> {
    return this.guard(() => this.native.members(set));
  }

  size(set: string): Promise<number> {
    return this.guard(() => this.native.size(set));
  }

  async close(): Promise<void> {
    await this.keyv.disconnect();
  }
}
