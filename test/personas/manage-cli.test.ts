/**
 * `persona create|copy|rename|remove` as a user runs them, through the real command
 * definitions and actions in this process (spawning one process per command costs ~5 s
 * each on CI; card.test.ts and broken-files.test.ts cover the spawned path). The working
 * directory is the temporary project, as for `npx persona`.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Command } from 'commander';
import { registerPersonaCommands } from '../../src/cli/commands/personas.ts';

let root: string;
const home = process.cwd();
before(() => {
  root = mkdtempSync(join(tmpdir(), 'manage-cli-'));
  process.chdir(root); // the CLI's config resolves the project from the working directory
});
after(() => {
  process.chdir(home);
  rmSync(root, { recursive: true, force: true });
});

/** One `persona …` command: its exit code and what it printed. */
async function persona(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const log = console.log;
  const write = process.stderr.write;
  console.log = (...parts: unknown[]) => void out.push(parts.join(' '));
  process.stderr.write = ((chunk: string) => err.push(String(chunk)) > 0) as typeof process.stderr.write;
  try {
    const program = new Command('persona').exitOverride();
    registerPersonaCommands(program);
    await program.parseAsync(args, { from: 'user' });
  } finally {
    console.log = log;
    process.stderr.write = write;
  }
  const code = Number(process.exitCode ?? 0);
  process.exitCode = 0;
  return { code, stdout: out.join('\n'), stderr: err.join('') };
}

test('create, copy, rename and remove (which asks for --yes off a terminal)', async () => {
  const created = await persona('create', 'ada', '--name', 'Ada', '--voices', 'Ada L, A. Lovelace');
  assert.equal(created.code, 0, created.stderr);
  assert.match(readFileSync(join(root, 'personas', 'ada.yaml'), 'utf8'), /- Ada L\n\s+- A\. Lovelace/);
  const again = await persona('create', 'ada', '--name', 'Other');
  assert.equal(again.code, 1);
  assert.match(again.stderr, /a persona "ada" already exists/);

  const copied = await persona('copy', 'ada', 'ada-2');
  assert.equal(copied.code, 0, copied.stderr);
  assert.match(copied.stdout, /Copied ada to ada-2 \("Ada \(copy\)"\)/);

  const renamed = await persona('rename', 'ada-2', '--id', 'countess', '--name', 'The Countess');
  assert.equal(renamed.code, 0, renamed.stderr);
  assert.ok(!existsSync(join(root, 'personas', 'ada-2.yaml')));
  assert.match(readFileSync(join(root, 'personas', 'countess.yaml'), 'utf8'), /name: The Countess/);

  const refused = await persona('remove', 'countess');
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /pass --yes/);
  assert.ok(existsSync(join(root, 'personas', 'countess.yaml')), 'nothing removed without confirmation');

  const removed = await persona('remove', 'countess', '--yes');
  assert.equal(removed.code, 0, removed.stderr);
  assert.match(removed.stdout, /Removed countess: 0 samples, 0 model versions/);
  assert.ok(!existsSync(join(root, 'personas', 'countess.yaml')));
  assert.match((await persona('list')).stdout, /^ada\s+Ada$/m);
});
