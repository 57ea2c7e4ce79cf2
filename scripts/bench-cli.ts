/**
 * `npm run bench:cli`: how long `persona` takes to start, against a bare `node -e 0` measured
 * in the same run. Cases: `persona --help`, `persona list`, and the time to the first token of
 * `persona chat <id> --prompt … --model base` on the bundled base. Each runs as its own process
 * from the compiled dist/cli/main.js (what bin/persona.js runs while dist/ is current; build it
 * with `npm run build`) and, as the reference the compiled CLI replaced, through tsx from src/.
 *
 * Usage: npm run bench:cli [-- --runs 5] [-- --no-write]
 * Runs in a temp project folder (a copy of personas/, the bundled base by path).
 */
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { writeBenchmarkSection } from './lib/benchmarks-doc.js';

const { values: args } = parseArgs({ options: { runs: { type: 'string', default: '5' }, 'no-write': { type: 'boolean', default: false } } });
const runs = Number(args.runs);
const repo = resolve('.');
const stamp = join(repo, 'dist/cli/command-index.json');
if (!existsSync(stamp)) throw new Error('dist/ is missing: run `npm run build` first');
const builtAt = statSync(stamp).mtime.toISOString();
const root = mkdtempSync(join(tmpdir(), 'bench-cli-'));
cpSync(join(repo, 'personas'), join(root, 'personas'), { recursive: true });
const env = { PATH: process.env.PATH, HOME: process.env.HOME, LOG_LEVEL: 'error', BASE_MODEL_DIR: join(repo, 'models/base') };

/** Seconds from spawn to exit, or to the first byte on stdout when `firstOutput`. */
function timeProcess(argv: string[], firstOutput = false): Promise<number> {
  return new Promise((done, fail) => {
    const start = process.hrtime.bigint();
    const seconds = () => Number(process.hrtime.bigint() - start) / 1e9;
    const child = spawn(process.execPath, argv, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let measured: number | undefined;
    let stderr = '';
    child.stdout.on('data', () => {
      if (firstOutput && measured === undefined) measured = seconds();
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
    child.on('exit', (code) => (code === 0 ? done(measured ?? seconds()) : fail(new Error(`${argv.join(' ')} exited ${code}: ${stderr}`))));
  });
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function measure(argv: string[], firstOutput = false, count = runs): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < count; i++) times.push(await timeProcess(argv, firstOutput));
  return median(times);
}

const compiled = [join(repo, 'dist/cli/main.js')];
const source = ['--import', join(repo, 'node_modules/tsx/dist/esm/index.mjs'), join(repo, 'src/cli/main.ts')];
const chat = ['chat', 'fdr', '--prompt', 'What should we do about the banks?', '--model', 'base', '--max-new-tokens', '16'];
const cases: { name: string; args: string[]; firstOutput: boolean; target: number }[] = [
  { name: '`persona --help`', args: ['--help'], firstOutput: false, target: 1 },
  { name: '`persona list`', args: ['list'], firstOutput: false, target: 1 },
  { name: '`persona chat fdr --prompt … --model base`, first token', args: chat, firstOutput: true, target: 2 },
];

const load = loadavg()[0];
try {
  const bare = await measure(['-e', '0']);
  const rows: string[] = [];
  for (const item of cases) {
    const fast = await measure([...compiled, ...item.args], item.firstOutput);
    const slow = await measure([...source, ...item.args], item.firstOutput, Math.min(runs, 3));
    const line = `| ${item.name} | ${fast.toFixed(2)} s | ${(fast / bare).toFixed(1)}x | ${slow.toFixed(2)} s | ${fast < item.target ? 'met' : 'missed'} (< ${item.target} s) |`;
    console.log(line);
    rows.push(line);
  }
  const now = new Date();
  const lines = [
    '## bench:cli',
    '',
    '`npm run bench:cli` (scripts/bench-cli.ts): start-up of the `persona` command, each case a fresh process, median of the runs, against a bare `node -e 0` in the same run. "compiled" is dist/cli/main.js (what `npm ci` builds, and what bin/persona.js runs while no file under src/ is newer); "from source" is the same command through tsx, as every command ran before.',
    '',
    `Measured ${now.toISOString().slice(0, 16).replace('T', ' ')} UTC on ${cpus().length} cores shared with other work (load average ${load.toFixed(1)} at start), ${runs} runs per case (3 from source); dist/ built ${builtAt.slice(0, 16).replace('T', ' ')} UTC. \`node -e 0\`: ${bare.toFixed(2)} s.`,
    '',
    '| case | compiled | ÷ `node -e 0` | from source | target |',
    '|---|---|---|---|---|',
    ...rows,
  ];
  if (!args['no-write']) writeBenchmarkSection('cli', lines);
  console.log(lines.join('\n'));
} finally {
  rmSync(root, { recursive: true, force: true });
}
