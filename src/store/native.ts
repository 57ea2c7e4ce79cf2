/**
 * What each backend provides beyond Keyv's get/set/delete: Keyv has no atomic batch mixing
 * sets and deletes, no sets, no set-if-absent and no prefix scan, so the SQLite adapter and
 * the Redis client implement these directly. Values cross this boundary serialized exactly
 * as Keyv stores them (`encodeValue`), so Keyv reads what the native operations write.
 */
import type { SetMember } from './types.js';

export interface RawEntry {
  key: string;
  raw: string;
  ttl?: number;
}

export interface RawBatch {
  set?: RawEntry[];
  delete?: string[];
  add?: SetMember[];
  remove?: SetMember[];
}

export interface RawConditionalWrite {
  unlessExists: string[];
  set: RawEntry[];
  add?: SetMember[];
}

export interface NativeOps {
  write(batch: RawBatch): Promise<void>;
  writeEachIfAbsent(writes: RawConditionalWrite[]): Promise<boolean[]>;
  setIfAbsent(key: string, raw: string, ttl?: number): Promise<boolean>;
  /** Compares the stored `value` (a string, e.g. a lock owner token) before deleting. */
  deleteIfEquals(key: string, value: string): Promise<boolean>;
  scan(prefix: string): AsyncIterable<[string, string]>;
  members(set: string): Promise<string[]>;
  size(set: string): Promise<number>;
  /** True when the store holds no keys and no sets at all (a new or wiped store). */
  isEmpty(): Promise<boolean>;
}

interface Envelope<T> {
  value: T;
  expires?: number;
}

/** Keyv's stored form; also handed to Keyv as its serializer so both sides agree. */
export function encodeValue<T>(value: T, ttl?: number): string {
  return JSON.stringify({ value, expires: ttl ? Date.now() + ttl : undefined } satisfies Envelope<T>);
}

/** The value of a stored string, or undefined when it has expired. */
export function decodeValue<T>(raw: string): T | undefined {
  const envelope = JSON.parse(raw) as Envelope<T>;
  return envelope.expires !== undefined && envelope.expires <= Date.now() ? undefined : envelope.value;
}
