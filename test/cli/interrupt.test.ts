/**
 * Ctrl-C during `persona ingest`: the command stops after the file it is on, reports what
 * it stored, exits 130, and running it again finishes the rest without duplicates.
 */
import { it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const nodeArgs = ['--import', join(repo, 'node_modules/tsx/dist/esm/index.mjs'), join(repo, 'src/cli/main.ts'), 'ingest', 'talker', 'material', '--trusted', '--json'];
const FILES = 30;
const PARAGRAPHS = 300;
let root: string;

before(() => {
  root = mkdtempSync(join(tmpdir(), 'persona-sigint-'));
  mkdirSync(join(root, 'personas'));
  mkdirSync(join(root, 'material'));
  writeFileSync(join(root, 'personas', 'talker.yaml'), 'id: talker\nname: Talker\n');
  for (let f = 0; f < FILES; f++) {
    const text = Array.from({ length: PARAGRAPHS }, (_, p) => `Talk ${f}, point ${p}: a remark that differs from every other, number ${f * PARAGRAPHS + p}.`).join('\n\n');
    writeFileSync(join(root, 'material', `talk-${String(f).padStart(2, '0')}.txt`), text);
  }
});
after(() => rmSync(root, { recursive: true, force: true }));

const env = () => ({ PATH: process.env.PATH, HOME: process.env.HOME, LOG_LEVEL: 'silent' });

it('Ctrl-C stops after the current file, and the same command completes the ingest', { timeout: 120_000 }, async () => {
  const proc = spawn(process.execPath, nodeArgs, { cwd: root, env: env(), stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  proc.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  // The store file appears once the command has its Ctrl-C handler and is ingesting.
  for (let i = 0; i < 600 && !existsSync(join(root, 'data', 'persona.sqlite')); i++) await sleep(50);
  proc.kill('SIGINT');
  const code = await exited;

  const partial = JSON.parse(stdout);
  assert.equal(code, 130);
  assert.equal(partial.interrupted, true);
  assert.ok(partial.files < FILES, `stopped after ${partial.files} of ${FILES} files`);
  assert.equal(partial.added, partial.files * PARAGRAPHS);

  const rest = await new Promise<{ code: number; stdout: string }>((resolve) =>
    execFile(process.execPath, nodeArgs, { cwd: root, env: env() }, (error, out) => resolve({ code: error ? Number(error.code) : 0, stdout: out })),
  );
  assert.equal(rest.code, 0);
  const completed = JSON.parse(rest.stdout);
  assert.deepEqual([completed.files, completed.existing, completed.added, completed.interrupted], [FILES, partial.added, FILES * PARAGRAPHS - partial.added, false]);
});
