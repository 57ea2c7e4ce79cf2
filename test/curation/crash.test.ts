/**
 * A process killed in the middle of an ingest (SIGKILL: no clean-up at all) leaves the store
 * consistent — every sample in exactly its state's index — and a re-run completes the
 * ingest without duplicates, ending where an uninterrupted ingest ends.
 */
import { it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openStore, type Store } from '../../src/store/index.ts';
import { SAMPLE_STATES, type SampleRecord } from '../../src/curation/index.ts';

// node itself with tsx's loader (not the tsx binary, which would be a wrapper the SIGKILL misses).
const nodeArgs = ['--import', 'tsx'];
const child = fileURLToPath(new URL('./ingest-child.ts', import.meta.url));
let root: string;

before(() => {
  root = mkdtempSync(join(tmpdir(), 'persona-crash-'));
  mkdirSync(join(root, 'personas'));
  mkdirSync(join(root, 'material'));
  writeFileSync(join(root, 'personas', 'crash.yaml'), 'id: crash\nname: Crash Test\n');
  for (let f = 0; f < 40; f++) {
    const paragraphs = Array.from({ length: 200 }, (_, p) => `File ${f} paragraph ${p} says something quite distinct about topic ${f * 1000 + p}.`);
    writeFileSync(join(root, 'material', `part-${String(f).padStart(2, '0')}.txt`), paragraphs.join('\n\n'));
  }
});
after(() => rmSync(root, { recursive: true, force: true }));

async function killDuringIngest(storeUrl: string, afterFiles: number): Promise<void> {
  const proc = spawn(process.execPath, [...nodeArgs, child, root, storeUrl], { stdio: ['ignore', 'pipe', 'inherit'] });
  let seen = '';
  await new Promise<void>((resolve) => {
    proc.stdout.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      if (seen.includes(`file ${afterFiles}\n`) && proc.exitCode === null) proc.kill('SIGKILL');
    });
    proc.once('exit', () => resolve());
  });
  assert.ok(!seen.includes('done'), 'the child was killed before it finished');
}

async function consistency(store: Store): Promise<number> {
  const records = new Map<string, SampleRecord>();
  for await (const [, record] of store.scan<SampleRecord>('sample:')) records.set(record.id, record);
  let indexed = 0;
  for (const state of SAMPLE_STATES) {
    for (const id of await store.members(`idx:crash:${state}`)) {
      assert.equal(records.get(id)?.state, state, `index ${state} lists ${id}, whose record says ${records.get(id)?.state}`);
      indexed++;
    }
  }
  assert.equal(indexed, records.size, 'every stored sample is in its state index');
  return records.size;
}

it('survives SIGKILL mid-ingest and a re-run completes without duplicates', { timeout: 60_000 }, async () => {
  const crashedUrl = `sqlite://${join(root, 'crashed.sqlite')}`;
  await killDuringIngest(crashedUrl, 6);
  let store = await openStore(crashedUrl);
  const partial = await consistency(store);
  await store.close();
  assert.ok(partial > 0 && partial < 40 * 200, `partial ingest stored ${partial} samples`);

  const rerun = spawnSync(process.execPath, [...nodeArgs, child, root, crashedUrl], { encoding: 'utf8' });
  assert.equal(rerun.status, 0, rerun.stderr);
  assert.match(rerun.stdout, new RegExp(`done ${40 * 200 - partial}\\n`));

  store = await openStore(crashedUrl);
  assert.equal(await consistency(store), 40 * 200);
  await store.close();
});
