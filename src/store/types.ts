/**
 * The store interface the whole project uses (samples, decisions, feedback, model registry
 * records, job history, scheduler locks, event de-duplication). Two implementations behind
 * one contract: embedded SQLite (default) and Redis. Values are JSON.
 *
 * Key conventions: `<kind>:<persona>:<id>` with `:` separators (never `::`, which the Redis
 * adapter reserves for its namespace). Sets hold ids for listing without scanning the key
 * space: on Redis a key scan is O(all keys), a set read is O(members).
 */

export interface StoreEntry<T = unknown> {
  key: string;
  value: T;
  /** Time to live in milliseconds; absent means forever. */
  ttl?: number;
}

export interface SetMember {
  set: string;
  member: string;
}

/** Writes applied all-or-nothing (one SQLite transaction, one Redis MULTI/EXEC). */
export interface WriteBatch {
  set?: StoreEntry[];
  delete?: string[];
  /** Add members to sets (indexes), e.g. a sample id to `idx:<persona>:pending`. */
  add?: SetMember[];
  remove?: SetMember[];
}

/** One write of `writeEachIfAbsent`: applied only while none of `unlessExists` holds a live value. */
export interface ConditionalWrite {
  unlessExists: string[];
  set: StoreEntry[];
  add?: SetMember[];
}

export interface Store {
  /** `sqlite` or `redis`, for logs and benchmark reports. */
  readonly kind: 'sqlite' | 'redis';
  get<T>(key: string): Promise<T | undefined>;
  getMany<T>(keys: string[]): Promise<Array<T | undefined>>;
  /** Whether each key holds a live value, without reading (or parsing) the values. */
  hasMany(keys: string[]): Promise<boolean[]>;
  set<T>(key: string, value: T, ttl?: number): Promise<void>;
  setMany(entries: StoreEntry[]): Promise<void>;
  delete(key: string): Promise<boolean>;
  /** Applies every part of the batch atomically. */
  write(batch: WriteBatch): Promise<void>;
  /**
   * Applies each write whose `unlessExists` keys are all absent, checking and writing in one
   * atomic step for the whole list (no other writer interleaves); true for each one applied.
   */
  writeEachIfAbsent(writes: ConditionalWrite[]): Promise<boolean[]>;
  /**
   * Sets `key` only when it is absent (or expired); true when this call set it. Atomic across
   * processes sharing the store: use it for locks and for applying a delivered event once.
   */
  setIfAbsent<T>(key: string, value: T, ttl?: number): Promise<boolean>;
  /** Deletes `key` only while it still holds `value` (releasing a lock this process owns). */
  deleteIfEquals<T>(key: string, value: T): Promise<boolean>;
  /** Every live key starting with `prefix`, with its value; order is not guaranteed. */
  scan<T>(prefix: string): AsyncIterable<[string, T]>;
  /** Members of a set, sorted. */
  members(set: string): Promise<string[]>;
  size(set: string): Promise<number>;
  close(): Promise<void>;
}
