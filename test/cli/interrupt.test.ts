/**
 * Ctrl-C during `persona ingest`: the command stops after the file it is on, reports what
 * it stored, exits 130, and running it again finishes the rest without duplicates. The same
 * through bin/persona.js (what `npx persona` runs): the signal reaches the command, because
 * the launcher runs it in its own process instead of a child it would have to forward to.
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
const ingestArgs = ['ingest', 'talker', 'material', '--trusted', '--json'];
const nodeArgs = ['--import', join(repo, 'node_modules/tsx/dist/esm/index.mjs'), join(repo, 'src/cli/main.ts'), ...ingestArgs];
const FILES = 30;
const PARAGRAPHS = 300;
let root: string;

function makeProject(): string {
  const root = mkdtempSync(join(tmpdir(), 'persona-sigint-'));
  mkdirSync(join(root, 'personas'));
  mkdirSync(join(root, 'material'));
  writeFileSync(join(root, 'personas', 'talker.yaml'), 'id: talker\nname: Talker\n');
  for (let f = 0; f < FILES; f++) {
    const text = Array.from(
      { length: PARAGRAPHS },
      (_, p) => `Talk ${f}, point ${p}: a remark that differs from every other, number ${f * PARAGRAPHS + p}.`,
    ).join('\n\n');
    writeFileSync(join(root, 'material', `talk-${String(f).padStart(2, '0')}.txt`), text);
  }
  return root;
}

before(() => {
  root = makeProject();
});
after(() => rmSync(root, { recursive: true, force: true }));

/** Starts the ingest, waits until it is storing, presses Ctrl-C; its exit code and JSON summary. */
async function interruptedIngest(
  cwd: string,
  args: string[],
): Promise<{ code: number | null; partial: { interrupted: boolean; files: number; added: number } }> {
  const proc = spawn(process.execPath, args, { cwd, env: env(), stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  proc.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  for (let i = 0; i < 600 && !existsSync(join(cwd, 'data', 'persona.sqlite')); i++) await sleep(50);
  proc.kill('SIGINT');
  const code = await exited;
  return { code, partial: JSON.parse(stdout || '{}') };
}

it('through bin/persona.js, Ctrl-C reaches the command: exit 130 with its partial summary', { timeout: 120_000 }, async () => {
  const cwd = makeProject();
  try {
    const { code, partial } = await interruptedIngest(cwd, [join(repo, 'bin/persona.js'), ...ingestArgs]);
    assert.equal(code, 130);
    assert.equal(partial.interrupted, true);
    assert.ok(partial.files < FILES);
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
});

const env = () => ({ PATH: process.env.PATH, HOME: process.env.HOME, LOG_LEVEL: 'silent' });

it('Ctrl-C stops after the current file, and the same command completes the ingest', { timeout: 120_000 }, async () => {
  // The store file appears once the command has its Ctrl-C handler and is ingesting.
  const { code, partial } = await interruptedIngest(root, nodeArgs);
  assert.equal(code, 130);
  assert.equal(partial.interrupted, true);
  assert.ok(partial.files < FILES, `stopped after ${partial.files} of ${FILES} files`);
  assert.equal(partial.added, partial.files * PARAGRAPHS);

  const rest = await new Promise<{ code: number; stdout: string }>((resolve) =>
    execFile(process.execPath, nodeArgs, { cwd: root, env: env() }, (error, out) => resolve({ code: error ? Number(error.code) : 0, stdout: out })),
  );
  assert.equal(rest.code, 0);
  const completed = JSON.parse(rest.stdout);
  assert.deepEqual(
    [completed.files, completed.existing, completed.added, completed.interrupted],
    [FILES, partial.added, FILES * PARAGRAPHS - partial.added, false],
  );
});
