/**
 * A real `persona worker --role generator` process for the scale-out tests: started in a
 * project folder (resolves once it says it runs), optionally with its log lines collected,
 * and killed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

const CLI = join(import.meta.dirname, '..', '..', 'src', 'cli', 'main.ts');
/** By path: the worker runs in a project folder outside this repository. */
const TSX = createRequire(import.meta.url).resolve('tsx');

/** `persona worker --role generator` in `root`; with `logs`, its log lines (stderr) are pushed there instead of shown. */
export async function startWorker(root: string, env: Record<string, string>, logs?: string[]): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', TSX, CLI, 'worker', '--role', 'generator'], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', logs ? 'pipe' : 'inherit'],
  });
  if (logs) createInterface({ input: child.stderr! }).on('line', (line) => logs.push(line));
  const lines = createInterface({ input: child.stdout! });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the generator worker did not start within 30 s')), 30_000);
    lines.on('line', (line) => {
      if (!line.startsWith('persona worker: generator')) return;
      clearTimeout(timer);
      resolve();
    });
    child.once('exit', (code) => reject(new Error(`the generator worker exited with ${code}`)));
  });
  return child;
}

/** The tiny tokenizer's special tokens: banned in a persona's sampling, the random model does not stop at once. */
export const SPECIAL_TOKENS = ['<|endoftext|>', '<|im_start|>', '<|im_end|>', '<|pad|>'];

export async function kill(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGKILL');
  await once(child, 'exit');
}
