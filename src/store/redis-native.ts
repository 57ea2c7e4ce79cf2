/**
 * Native operations on Redis, through the client that @keyv/redis already holds (so the
 * store opens one connection). Keys carry the adapter's namespace exactly as @keyv/redis
 * writes them (`persona::<key>`); sets live under `persona::set:<name>`.
 * A single Redis server (or a managed one) is assumed: MULTI across cluster slots is not.
 */
import type { NativeOps, RawBatch, RawConditionalWrite } from './native.js';

/*
 * The few commands used here, typed narrowly: checking calls against @redis/client's full
 * generic command types makes tsc run out of memory (4 GB), so the client is cast to these.
 */
interface RedisMulti {
  set(key: string, value: string, options?: { PX: number }): RedisMulti;
  del(key: string): RedisMulti;
  sAdd(key: string, member: string): RedisMulti;
  sRem(key: string, member: string): RedisMulti;
  exec(): Promise<unknown>;
}

interface RedisCommands {
  multi(): RedisMulti;
  set(key: string, value: string, options: { NX: true; PX?: number }): Promise<string | null>;
  eval(script: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
  scan(cursor: string, options: { MATCH: string; COUNT: number; TYPE?: string }): Promise<{ cursor: string | number; keys: string[] }>;
  mGet(keys: string[]): Promise<Array<string | null>>;
  sMembers(key: string): Promise<string[]>;
  sCard(key: string): Promise<number>;
}

/** What this module needs of the @keyv/redis adapter. */
export interface RedisAdapter {
  namespace?: string;
  createKeyPrefix(key: string, namespace?: string): string;
  getClient(): Promise<unknown>;
}

const SCAN_BATCH = 1000;

/** Deletes KEYS[1] only while its Keyv envelope's value equals ARGV[1] (atomic in Redis). */
const DELETE_IF_EQUALS = `
local raw = redis.call('GET', KEYS[1])
if raw and cjson.decode(raw).value == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

/**
 * writeEachIfAbsent in one script (Redis runs it atomically): ARGV[1] is a JSON list of
 * `{ g: [guard keys], s: [[key, value, ttl ms or 0]], a: [[set key, member]] }`.
 */
const WRITE_EACH_IF_ABSENT = `
local writes = cjson.decode(ARGV[1])
local applied = {}
for i, w in ipairs(writes) do
  local free = true
  for _, key in ipairs(w.g) do
    if redis.call('EXISTS', key) == 1 then free = false break end
  end
  if free then
    for _, e in ipairs(w.s) do
      if e[3] > 0 then redis.call('SET', e[1], e[2], 'PX', e[3]) else redis.call('SET', e[1], e[2]) end
    end
    for _, m in ipairs(w.a) do redis.call('SADD', m[1], m[2]) end
  end
  applied[i] = free and 1 or 0
end
return applied`;

/** Glob characters in a prefix must match literally in SCAN MATCH. */
function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}

export class RedisNative implements NativeOps {
  constructor(private readonly adapter: RedisAdapter) {}

  private key(key: string): string {
    return this.adapter.createKeyPrefix(key, this.adapter.namespace);
  }

  private setKey(name: string): string {
    return this.key(`set:${name}`);
  }

  private async client(): Promise<RedisCommands> {
    return (await this.adapter.getClient()) as RedisCommands;
  }

  async write(batch: RawBatch): Promise<void> {
    const multi = (await this.client()).multi();
    for (const { key, raw, ttl } of batch.set ?? []) multi.set(this.key(key), raw, ttl ? { PX: ttl } : undefined);
    for (const key of batch.delete ?? []) multi.del(this.key(key));
    for (const { set, member } of batch.add ?? []) multi.sAdd(this.setKey(set), member);
    for (const { set, member } of batch.remove ?? []) multi.sRem(this.setKey(set), member);
    await multi.exec();
  }

  async writeEachIfAbsent(writes: RawConditionalWrite[]): Promise<boolean[]> {
    const client = await this.client();
    const encoded = writes.map((w) => ({
      g: w.unlessExists.map((key) => this.key(key)),
      s: w.set.map(({ key, raw, ttl }) => [this.key(key), raw, ttl ?? 0]),
      a: (w.add ?? []).map(({ set, member }) => [this.setKey(set), member]),
    }));
    // Keys travel in ARGV (not KEYS): fine on the single server this module assumes.
    const reply = (await client.eval(WRITE_EACH_IF_ABSENT, { keys: [], arguments: [JSON.stringify(encoded)] })) as unknown[];
    return reply.map((flag) => Number(flag) === 1);
  }

  async setIfAbsent(key: string, raw: string, ttl?: number): Promise<boolean> {
    const client = await this.client();
    const reply = await client.set(this.key(key), raw, ttl ? { NX: true, PX: ttl } : { NX: true });
    return reply === 'OK';
  }

  async deleteIfEquals(key: string, value: string): Promise<boolean> {
    const client = await this.client();
    const deleted = await client.eval(DELETE_IF_EQUALS, { keys: [this.key(key)], arguments: [value] });
    return Number(deleted) > 0;
  }

  async *scan(prefix: string): AsyncIterable<[string, string]> {
    const client = await this.client();
    const namespaced = this.key('');
    let cursor = '0';
    do {
      const page = await client.scan(cursor, { MATCH: `${escapeGlob(this.key(prefix))}*`, COUNT: SCAN_BATCH, TYPE: 'string' });
      cursor = String(page.cursor);
      if (page.keys.length === 0) continue;
      const values = await client.mGet(page.keys);
      for (const [index, key] of page.keys.entries()) {
        const raw = values[index];
        if (typeof raw === 'string') yield [key.slice(namespaced.length), raw];
      }
    } while (cursor !== '0');
  }

  async members(set: string): Promise<string[]> {
    const client = await this.client();
    return (await client.sMembers(this.setKey(set))).map(String).sort();
  }

  async isEmpty(): Promise<boolean> {
    const client = await this.client();
    // Any key of our namespace, strings and sets alike; SCAN may need several pages to find one.
    let cursor = '0';
    do {
      const page = await client.scan(cursor, { MATCH: `${escapeGlob(this.key(''))}*`, COUNT: SCAN_BATCH });
      if (page.keys.length > 0) return false;
      cursor = String(page.cursor);
    } while (cursor !== '0');
    return true;
  }

  async size(set: string): Promise<number> {
    const client = await this.client();
    return Number(await client.sCard(this.setKey(set)));
  }
}
