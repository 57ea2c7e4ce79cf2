/**
 * writeFileAtomic replaces a file whole, creates its folder, and after a failed write leaves
 * the previous file and no temporary behind; temporary names end in the writer's pid.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { temporaryNameFor, writeFileAtomic } from '../../src/util/atomic-write.ts';

test('writes, replaces and cleans up after a failure', (t) => {
  const root = mkdtempSync(join(tmpdir(), 'atomic-write-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const file = join(root, 'nested', 'state.json');
  writeFileAtomic(file, '{"a":1}\n');
  writeFileAtomic(file, Buffer.from('{"a":2}\n'), { fsync: true });
  assert.equal(readFileSync(file, 'utf8'), '{"a":2}\n');
  assert.deepEqual(readdirSync(join(root, 'nested')), ['state.json']);

  const blocked = join(root, 'nested', 'dir');
  mkdirSync(blocked);
  assert.throws(() => writeFileAtomic(blocked, 'x'), /EISDIR|EEXIST|ENOTEMPTY|EPERM/);
  assert.deepEqual(readdirSync(join(root, 'nested')).sort(), ['dir', 'state.json'], 'no temporary is left behind');

  const a = temporaryNameFor(file);
  assert.notEqual(a, temporaryNameFor(file));
  assert.match(a, new RegExp(`\\.tmp-\\d+-${process.pid}$`));
});
