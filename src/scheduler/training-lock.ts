/**
 * A training lock in the store, so that two processes (or machines sharing a Redis store)
 * never train the same persona at once. Taken with set-if-absent and a TTL; a heartbeat
 * renews it while the job runs, so a process killed with SIGKILL frees it within one TTL.
 * A lock whose owner is a dead process on this host is broken at once.
 */
import { hostname } from 'node:os';
import type { Store } from '../store/index.js';
import { processAlive } from '../util/process.js';
import { freshSeed } from '../util/random.js';

export interface LockOwner {
  host: string;
  pid: number;
  /** Unique per acquisition, so a process never renews or frees someone else's lock. */
  token: string;
  since: string;
}

export interface HeldLock {
  readonly key: string;
  readonly owner: LockOwner;
  release(): Promise<void>;
}

export const DEFAULT_LOCK_TTL_MS = 60_000;

/** The lock a training run holds; renaming or removing a persona holds it too. */
export const trainingLockKey = (persona: string) => `lock:train:${persona}`;

export async function acquireLock(store: Store, key: string, ttlMs = DEFAULT_LOCK_TTL_MS): Promise<HeldLock | null> {
  const owner: LockOwner = {
    host: hostname(),
    pid: process.pid,
    token: `${process.pid}-${Date.now()}-${freshSeed().toString(36)}`,
    since: new Date().toISOString(),
  };
  const value = JSON.stringify(owner);
  if (!(await store.setIfAbsent(key, value, ttlMs))) {
    const current = await store.get<string>(key);
    if (!current || !ownerIsDeadHere(JSON.parse(current)) || !(await store.deleteIfEquals(key, current))) return null;
    if (!(await store.setIfAbsent(key, value, ttlMs))) return null;
  }
  const heartbeat = setInterval(() => void renew(store, key, value, ttlMs), Math.max(1000, ttlMs / 3));
  heartbeat.unref();
  return {
    key,
    owner,
    async release() {
      clearInterval(heartbeat);
      await store.deleteIfEquals(key, value);
    },
  };
}

/** The lock's owner as stored (a JSON string, because the store compares strings atomically). */
export async function lockHolder(store: Store, key: string): Promise<LockOwner | undefined> {
  const value = await store.get<string>(key);
  return value ? (JSON.parse(value) as LockOwner) : undefined;
}

async function renew(store: Store, key: string, value: string, ttlMs: number): Promise<void> {
  const current = await store.get<string>(key).catch(() => undefined);
  if (current === value) await store.set(key, value, ttlMs).catch(() => undefined);
}

function ownerIsDeadHere(owner: LockOwner): boolean {
  return owner.host === hostname() && !processAlive(owner.pid);
}
