/**
 * The store contract, run against every implementation (Hono-style shared case file):
 * test/store/sqlite.test.ts and test/store/redis.test.ts call `storeContract`.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Store } from '../../src/store/types.ts';

/** `open` returns a fresh, empty store each time it is called with a new `name`, the same one for the same name. */
export function storeContract(label: string, open: (name: string) => Promise<Store>): void {
  describe(`store contract: ${label}`, () => {
    let store: Store;
    before(async () => {
      store = await open('contract');
    });
    after(async () => {
      await store.close();
    });

    it('reads back what it wrote, JSON values intact, missing keys undefined', async () => {
      const sample = { text: 'Hello — “world”', n: 3, nested: { list: [1, 'two', null] }, flag: false };
      await store.set('sample:p:1', sample);
      assert.deepEqual(await store.get('sample:p:1'), sample);
      assert.equal(await store.get('sample:p:missing'), undefined);
    });

    it('setMany and getMany keep order and report missing keys', async () => {
      await store.setMany([
        { key: 'm:1', value: 'one' },
        { key: 'm:2', value: 2 },
      ]);
      assert.deepEqual(await store.getMany(['m:2', 'm:none', 'm:1']), [2, undefined, 'one']);
      assert.deepEqual(await store.getMany([]), []);
      assert.deepEqual(await store.hasMany(['m:2', 'm:none', 'm:1']), [true, false, true]);
      assert.deepEqual(await store.hasMany([]), []);
    });

    it('writeEachIfAbsent applies only the writes whose guard keys are all absent', async () => {
      await store.set('w:taken', 'old');
      const applied = await store.writeEachIfAbsent([
        { unlessExists: ['w:new1'], set: [{ key: 'w:new1', value: { n: 1 } }], add: [{ set: 'w:set', member: 'new1' }] },
        { unlessExists: ['w:new2', 'w:taken'], set: [{ key: 'w:new2', value: 2 }], add: [{ set: 'w:set', member: 'new2' }] },
        { unlessExists: ['w:new1'], set: [{ key: 'w:new1', value: 'second' }] },
      ]);
      assert.deepEqual(applied, [true, false, false], 'the third write sees the first one');
      assert.deepEqual(await store.getMany(['w:new1', 'w:new2', 'w:taken']), [{ n: 1 }, undefined, 'old']);
      assert.deepEqual(await store.members('w:set'), ['new1']);
      assert.deepEqual(await store.writeEachIfAbsent([]), []);
    });

    it('delete says whether something was there', async () => {
      await store.set('d:1', 'x');
      assert.equal(await store.delete('d:1'), true);
      assert.equal(await store.get('d:1'), undefined);
      assert.equal(await store.delete('d:1'), false);
    });

    it('values with a TTL disappear after it', async () => {
      await store.set('ttl:1', 'short', 600);
      await store.write({ set: [{ key: 'ttl:2', value: 'short too', ttl: 600 }] });
      assert.equal(await store.get('ttl:1'), 'short');
      await sleep(750);
      assert.equal(await store.get('ttl:1'), undefined);
      assert.equal(await store.get('ttl:2'), undefined);
      assert.deepEqual(await store.hasMany(['ttl:1', 'ttl:2']), [false, false]);
    });

    it('write applies sets, deletes and set-membership changes together', async () => {
      await store.write({
        set: [{ key: 'w:gone', value: 1 }],
        add: [
          { set: 'idx:p:pending', member: 'b' },
          { set: 'idx:p:pending', member: 'a' },
        ],
      });
      await store.write({
        set: [{ key: 'w:new', value: { state: 'approved' } }],
        delete: ['w:gone'],
        remove: [{ set: 'idx:p:pending', member: 'a' }],
        add: [
          { set: 'idx:p:approved', member: 'a' },
          { set: 'idx:p:approved', member: 'a' },
        ],
      });
      assert.deepEqual(await store.get('w:new'), { state: 'approved' });
      assert.equal(await store.get('w:gone'), undefined);
      assert.deepEqual(await store.members('idx:p:pending'), ['b']);
      assert.deepEqual(await store.members('idx:p:approved'), ['a']);
      assert.equal(await store.size('idx:p:approved'), 1);
      assert.deepEqual(await store.members('idx:p:none'), []);
      assert.equal(await store.size('idx:p:none'), 0);
    });

    it('setIfAbsent lets exactly one of many concurrent callers win, and again after the TTL', async () => {
      const results = await Promise.all(Array.from({ length: 10 }, (_, i) => store.setIfAbsent('lock:train:p', `owner-${i}`, 1000)));
      assert.equal(results.filter(Boolean).length, 1);
      const owner = await store.get<string>('lock:train:p');
      assert.equal(owner, `owner-${results.indexOf(true)}`);
      assert.equal(await store.setIfAbsent('lock:train:p', 'late'), false);
      await sleep(1100);
      assert.equal(await store.setIfAbsent('lock:train:p', 'after-expiry', 1000), true);
      assert.equal(await store.get('lock:train:p'), 'after-expiry');
    });

    it('deleteIfEquals releases a lock only for its owner', async () => {
      await store.setIfAbsent('lock:owner', 'me', 5000);
      assert.equal(await store.deleteIfEquals('lock:owner', 'someone-else'), false);
      assert.equal(await store.get('lock:owner'), 'me');
      assert.equal(await store.deleteIfEquals('lock:owner', 'me'), true);
      assert.equal(await store.get('lock:owner'), undefined);
    });

    it('scan lists exactly the live keys under a prefix, glob characters taken literally', async () => {
      await store.setMany([
        { key: 'job:p:1', value: 1 },
        { key: 'job:p:2', value: 2 },
        { key: 'job:pq:3', value: 3 },
        { key: 'job:*[x]:4', value: 4 },
        { key: 'job:p:short', value: 5, ttl: 40 },
      ]);
      await sleep(100);
      const listed = new Map<string, number>();
      for await (const [key, value] of store.scan<number>('job:p:')) listed.set(key, value);
      assert.deepEqual([...listed].sort(), [
        ['job:p:1', 1],
        ['job:p:2', 2],
      ]);
      const literal: string[] = [];
      for await (const [key] of store.scan('job:*[')) literal.push(key);
      assert.deepEqual(literal, ['job:*[x]:4']);
    });

    it('a second connection sees the first one’s writes (several processes share a store)', async () => {
      const other = await open('contract');
      try {
        await store.write({ set: [{ key: 'shared:1', value: 'from first' }], add: [{ set: 'shared:set', member: 'x' }] });
        assert.equal(await other.get('shared:1'), 'from first');
        assert.deepEqual(await other.members('shared:set'), ['x']);
        assert.equal(await other.setIfAbsent('shared:1', 'no'), false);
      } finally {
        await other.close();
      }
    });
  });
}
