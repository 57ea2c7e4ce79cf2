import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/config.ts';

test('defaults put the SQLite store under the data directory', () => {
  const root = mkdtempSync(join(tmpdir(), 'cfg-'));
  const config = loadConfig({ root, env: {} });
  assert.equal(config.storeUrl, `sqlite://${join(root, 'data')}/persona.sqlite`);
  assert.equal(config.STUDIO_HOST, '127.0.0.1');
});

test('.env < environment < overrides, and bad values name the variable', () => {
  const root = mkdtempSync(join(tmpdir(), 'cfg-'));
  writeFileSync(join(root, '.env'), 'STUDIO_PORT=4000\nLOG_LEVEL=info\nSLACK_CURATORS=U1, U2\n');
  const config = loadConfig({ root, env: { LOG_LEVEL: 'debug' }, overrides: { STUDIO_PORT: '4100' } });
  assert.equal(config.STUDIO_PORT, 4100);
  assert.equal(config.LOG_LEVEL, 'debug');
  assert.deepEqual(config.SLACK_CURATORS, ['U1', 'U2']);
  assert.throws(() => loadConfig({ root, env: { STUDIO_PORT: 'abc' } }), /STUDIO_PORT/);
});
