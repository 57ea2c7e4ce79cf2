/** The store contract on the embedded SQLite backend, plus what only SQLite has: a file. */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../../src/store/index.ts';
import { isPersonaError } from '../../src/errors.ts';
import { storeContract } from './store.case.ts';

const dir = mkdtempSync(join(tmpdir(), 'persona-sqlite-'));
after(() => rmSync(dir, { recursive: true, force: true }));

storeContract('sqlite', (name) => openStore(`sqlite://${join(dir, name, 'persona.sqlite')}`));

describe('sqlite store', () => {
  it('creates its directory and keeps data across reopening', async () => {
    const url = `sqlite://${join(dir, 'nested', 'deeper', 'persona.sqlite')}`;
    const first = await openStore(url);
    await first.write({ set: [{ key: 'k', value: 'kept' }], add: [{ set: 's', member: 'm' }] });
    await first.close();
    assert.ok(existsSync(join(dir, 'nested', 'deeper', 'persona.sqlite')));
    const second = await openStore(url);
    assert.equal(await second.get('k'), 'kept');
    assert.deepEqual(await second.members('s'), ['m']);
    await second.close();
  });

  it('writes 100,000 values in one batch well within a second or two', async () => {
    const store = await openStore(`sqlite://${join(dir, 'bulk', 'persona.sqlite')}`);
    const entries = Array.from({ length: 100_000 }, (_, i) => ({ key: `bulk:${i}`, value: { text: `sample ${i}` } }));
    const started = performance.now();
    await store.write({ set: entries, add: entries.map(({ key }) => ({ set: 'idx:bulk', member: key })) });
    const seconds = (performance.now() - started) / 1000;
    assert.equal(await store.size('idx:bulk'), 100_000);
    assert.ok(seconds < 5, `100,000 batched writes took ${seconds.toFixed(2)} s`);
    await store.close();
  });

  it('rejects an unknown store URL with a sentence naming STORE_URL', async () => {
    await assert.rejects(openStore('mongodb://x'), (error) => isPersonaError(error, 'config_invalid') && /STORE_URL/.test(error.message));
  });
});
