/**
 * The `Store` implementation: Keyv for values (get/set/delete, TTL, the Redis adapter),
 * the backend's native operations for batches, sets, set-if-absent and scans.
 */
import type { Keyv } from 'keyv';
import { PersonaError } from '../errors.js';
import { decodeValue, encodeValue, type NativeOps } from './native.js';
import type { ConditionalWrite, Store, StoreEntry, WriteBatch } from './types.js';

export class KeyvStore implements Store {
  constructor(
    readonly kind: Store['kind'],
    private readonly keyv: Keyv,
    private readonly native: NativeOps,
    private readonly where: string,
  ) {}

  /** Every backend failure becomes one PersonaError naming the store, so callers handle one code. */
  private async guard<T>(run: () => Promise<T>): Promise<T> {
    try {
      return await run();
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
    });
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
