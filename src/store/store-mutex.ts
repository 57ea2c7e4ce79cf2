/**
 * A short mutual-exclusion section across every process sharing the store, built on
 * `setIfAbsent` with a TTL (so a crashed holder frees the lock) and an owner token (so only
 * the holder releases it). Used where a record is read, changed and written back.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { PersonaError } from '../errors.js';
import type { Store } from './types.js';

export interface LockOptions {
  /** How long the lock lives if its holder dies (ms). */
  ttlMs?: number;
  /** How long to keep trying before giving up (ms). */
  waitMs?: number;
}

export async function withLock<T>(store: Store, key: string, run: () => Promise<T>, options: LockOptions = {}): Promise<T> {
  const { ttlMs = 10_000, waitMs = 10_000 } = options;
  const token = randomUUID();
  const deadline = Date.now() + waitMs;
  let delay = 5;
  while (!(await store.setIfAbsent(key, token, ttlMs))) {
    if (Date.now() >= deadline) throw new PersonaError('decision_conflict', `Another process has held ${key} for over ${waitMs / 1000} s; try again.`, { key });
    await sleep(delay);
    delay = Math.min(delay * 2, 100);
  }
  try {
    return await run();
  } finally {
    await store.deleteIfEquals(key, token);
  }
}
