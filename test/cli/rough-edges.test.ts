/**
 * Rough edges of the CLI found in use, each as a user meets it: a flag typo is refused before
 * any job exists and names the flag; piped lines are all answered, one reply line each;
 * `persona train` says what it does while evaluating; ingest counts read as English and a
 * fully skipped ingest does not first claim it ingested; log lines at a terminal are prose.
 */
import { it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { prettyLogLine } from '../../src/log.ts';
import { jobHistory } from '../../src/scheduler/history.ts';
import { approveSamples, makeProject, openProject, PERSONA } from '../scheduler/job-fixture.ts';
import { runCli } from '../personas/cli-helper.ts';

let root: string;

before(async () => {
  root = makeProject(0);
  const project = await openProject(root);
  await approveSamples(project.store, 10);
  await project.engine.dispose();
  await project.store.close();
});
after(() => rmSync(root, { recursive: true, force: true }));

it('a flag typo is refused before any job exists, naming the flag', { timeout: 120_000 }, async () => {
  const [train, rank, chat] = await Promise.all([
    runCli(root, ['train', PERSONA, '--max-steps', 'abc']),
    runCli(root, ['train', PERSONA, '--lora-rank', 'four']),
    runCli(root, ['chat', PERSONA, '--temperature', 'hot', '--prompt', 'hi']),
  ]);
  assert.equal(train.code, 1);
  assert.match(train.stderr, /option '--max-steps <n>' argument 'abc' is invalid\. Expected a whole number of at least 1, not "abc"\./);
  assert.equal(rank.code, 1);
  assert.match(rank.stderr, /option '--lora-rank <n>' argument 'four' is invalid\. Expected a whole number of at least 1, not "four"\./);
  assert.equal(chat.code, 1);
  assert.match(chat.stderr, /option '--temperature <x>' argument 'hot' is invalid/);
  const project = await openProject(root);
  assert.deepEqual(await jobHistory(project.store).list(PERSONA), [], 'no failed job hides the last real run');
  await project.engine.dispose();
  await project.store.close();
});

it('piped lines are each answered, one reply line per line', { timeout: 120_000 }, async () => {
  const chat = await runCli(
    root,
    ['chat', PERSONA, '--model', 'base', '--max-new-tokens', '3', '--temperature', '0'],
    'Hello there.\n\nHow is the lake?\nAnd the garden?\n',
  );
  assert.equal(chat.code, 0, chat.stderr);
  const lines = chat.stdout.split('\n').filter(Boolean);
  assert.equal(lines.length, 3, chat.stdout);
  assert.ok(
    lines.every((line) => line.startsWith('FDR> ')),
    chat.stdout,
  );
});

it('persona train says when it evaluates, trains at --lora-rank; ingest counts read as English; skipped-only ingest claims nothing', {
  timeout: 180_000,
}, async () => {
  writeFileSync(join(root, 'one.txt'), 'We have nothing to fear.\n\nThe garden is glad of the rain.\n');
  writeFileSync(join(root, 'blob.bin'), Buffer.from([0, 1, 2, 0, 255]));
  const [train, ingest, skipped] = await Promise.all([
    runCli(root, ['train', PERSONA, '--max-steps', '2', '--method', 'lora', '--lora-rank', '4']),
    runCli(root, ['ingest', PERSONA, 'one.txt']),
    runCli(root, ['ingest', PERSONA, 'blob.bin']),
  ]);
  assert.equal(train.code, 0, train.stderr);
  assert.match(train.stderr, /evaluating the new version and the incumbent on the held-out samples/);
  const versionDir = train.stdout.trim().split('\n').at(-1)!.trim();
  assert.equal(JSON.parse(readFileSync(join(versionDir, 'adapter_config.json'), 'utf8')).r, 4, 'the file says r 16; the flag wins');
  const ranks = Object.entries(safetensorsShapes(join(versionDir, 'adapter_model.safetensors')))
    .filter(([name]) => name.endsWith('lora_A.weight'))
    .map(([, shape]) => shape[0]);
  assert.ok(ranks.length > 0 && ranks.every((r) => r === 4), `lora_A rows: ${ranks}`);
  assert.match(ingest.stdout, /^Ingested 1 file for tiny \(\d+ messages?;/);
  assert.equal(skipped.code, 1);
  assert.doesNotMatch(skipped.stdout, /Ingested/);
  assert.match(skipped.stderr, /Nothing ingested: blob\.bin was skipped/);
});

/** Tensor shapes from a safetensors header (8-byte little-endian length, then JSON). */
function safetensorsShapes(file: string): Record<string, number[]> {
  const bytes = readFileSync(file);
  const header = JSON.parse(bytes.subarray(8, 8 + Number(bytes.readBigUInt64LE(0))).toString('utf8'));
  delete header.__metadata__;
  return Object.fromEntries(Object.entries(header).map(([name, info]) => [name, (info as { shape: number[] }).shape]));
}

it('log lines at a terminal are one readable line each', () => {
  const line = JSON.stringify({ level: 50, time: 1, component: 'job', msg: 'training job failed', persona: 'fdr', code: 'model_corrupt' });
  assert.equal(prettyLogLine(line), 'error [job] training job failed (persona=fdr, code=model_corrupt)\n');
});
