/**
 * The dataset commands end to end, as a newcomer runs them in a fresh clone: setup writes
 * and ingests the example transcripts, a chat export is ingested, curated from the terminal
 * and exported. Every command runs as its own process in a temporary project folder.
 */
import { it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { registerIngestCommands } from '../../src/cli/commands/ingest.ts';
import { registerDatasetCommands } from '../../src/cli/commands/dataset.ts';
import { registerReviewCommands } from '../../src/cli/commands/review.ts';

const repo = fileURLToPath(new URL('../../', import.meta.url));
let root: string;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a repo script with tsx's loader in the temporary project folder (its own .env-free config). */
function run(script: string, args: string[]): Promise<Run> {
  // The bundled base stays in the clone (dataset stats counts tokens with its tokenizer).
  const env = { PATH: process.env.PATH, HOME: process.env.HOME, LOG_LEVEL: 'silent', BASE_MODEL_DIR: join(repo, 'models/base') };
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', join(repo, 'node_modules/tsx/dist/esm/index.mjs'), join(repo, script), ...args],
      { cwd: root, env, timeout: 120_000 },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}
const persona = (...args: string[]) => run('src/cli/main.ts', args);

function discordExport(): string {
  const people = [
    { id: '2002', name: 'bob' },
    { id: '1001', name: 'tess', nickname: 'Tess' },
  ];
  const lines = [
    'Hi Tess, how was the trip?',
    'Wonderful, we saw the coast at dawn.',
    'Any plans for tomorrow?',
    'Sleeping in, then the museum. Write me at tess@example.com!',
    'Sounds good.',
    'It will be lovely.',
  ];
  const start = Date.parse('2024-05-01T10:00:00Z');
  const messages = lines.map((content, i) => ({
    id: String(900000 + i),
    type: 'Default',
    timestamp: new Date(start + i * 60_000).toISOString(),
    content,
    author: people[i % 2],
  }));
  return JSON.stringify({ guild: { id: '1', name: 'g' }, channel: { id: '77', name: 'general' }, messages });
}

before(() => {
  root = mkdtempSync(join(tmpdir(), 'persona-cli-'));
  cpSync(join(repo, 'personas'), join(root, 'personas'), { recursive: true });
  writeFileSync(join(root, 'personas', 'tess.yaml'), 'id: tess\nname: Tess\nvoices:\n  discord_ids: ["1001"]\n');
  writeFileSync(join(root, 'chat.json'), discordExport());
  writeFileSync(join(root, 'blob.bin'), Buffer.from([0, 1, 2, 3, 0, 255, 0, 9]));
});
after(() => rmSync(root, { recursive: true, force: true }));

it('fresh clone: setup writes and ingests the example transcripts, then an example persona exports', { timeout: 300_000 }, async () => {
  const setup = await run('scripts/setup.ts', []);
  assert.equal(setup.code, 0, setup.stderr);
  assert.match(setup.stdout, /fdr\s+12 transcripts/);
  const years = readdirSync(join(root, 'transcripts', 'jfk')).sort();
  assert.deepEqual(years, ['1961.txt', '1962.txt', '1963.txt']);
  assert.ok(readdirSync(join(root, 'transcripts', 'fdr')).every((f) => Number(f.slice(0, 4)) >= 1933));

  const again = await run('scripts/setup.ts', []);
  assert.match(again.stdout, /fdr\s+12 transcripts \(0 written\), already ingested/);

  const exported = await persona('dataset', 'export', 'jfk', '--format', 'openai', '--out', 'out/jfk.jsonl', '--split', 'train', '--json');
  assert.equal(exported.code, 0, exported.stderr);
  const result = JSON.parse(exported.stdout);
  const lines = readFileSync(join(root, 'out', 'jfk.jsonl'), 'utf8')
    .trim()
    .split('\n');
  assert.equal(lines.length, result.samples);
  assert.ok(result.samples > 50, `${result.samples} JFK training samples`);
  assert.match(JSON.parse(lines[0]).messages.at(-1).content, /\w+/);
});

it('ingest → review → stats: a chat export becomes pending candidates curated from the terminal', { timeout: 300_000 }, async () => {
  const first = JSON.parse((await persona('ingest', 'tess', 'chat.json', '--json')).stdout);
  assert.deepEqual([first.files, first.added, first.formats], [1, 3, { discord: 1 }]);
  assert.equal(first.redactions.email, 1);
  const second = JSON.parse((await persona('ingest', 'tess', 'chat.json', '--json')).stdout);
  assert.deepEqual([second.added, second.existing], [0, 3]);

  const pending = JSON.parse((await persona('review', 'list', 'tess', '--json')).stdout);
  assert.equal(pending.length, 3);
  assert.ok(pending.every((s: { state: string; kind: string }) => s.state === 'pending' && s.kind === 'conversation'));
  const [a, b, c] = pending.map((s: { id: string }) => s.id.slice(0, 10));
  const decisions = await Promise.all([
    persona('review', 'approve', 'tess', a, '--exemplary'),
    persona('review', 'edit', 'tess', b, 'Sleeping in, then the art museum.'),
    persona('review', 'reject', 'tess', c),
  ]);
  assert.deepEqual(
    decisions.map((d) => d.code),
    [0, 0, 0],
    decisions.map((d) => d.stderr).join(''),
  );

  const stats = JSON.parse((await persona('dataset', 'stats', 'tess', '--json')).stdout);
  assert.deepEqual(stats.states, { pending: 0, approved: 2, rejected: 1, exemplary: 1 });
  assert.equal(stats.edited, 1);
  assert.deepEqual(stats.sources, { discord: 2 });

  const text = await persona('dataset', 'export', 'tess', '--format', 'text', '--out', 'tess.txt');
  assert.equal(text.code, 0, text.stderr);
  const exported = readFileSync(join(root, 'tess.txt'), 'utf8');
  assert.match(exported, /Tess: Sleeping in, then the art museum\./);
  assert.doesNotMatch(exported, /tess@example\.com/);
});

it('bad input: one sentence on stderr and a non-zero exit', { timeout: 300_000 }, async () => {
  const [badId, unknownPersona, missing, binary, badFormat] = await Promise.all([
    persona('ingest', 'Not-OK!', 'chat.json'),
    persona('dataset', 'stats', 'nobody'),
    persona('ingest', 'tess', 'no-such-file.txt'),
    persona('ingest', 'tess', 'blob.bin'),
    persona('dataset', 'export', 'tess', '--format', 'csv', '--out', 'x.csv'),
  ]);
  for (const [label, result, pattern] of [
    ['invalid id', badId, /not a valid persona id/],
    ['unknown persona', unknownPersona, /No persona "nobody".*known: .*fdr/],
    ['missing file', missing, /no-such-file\.txt: no such file/],
    ['binary file', binary, /Nothing ingested: blob\.bin was skipped \(.+\)/],
    ['bad format', badFormat, /--format "csv".*openai, sharegpt, text/],
  ] as const) {
    assert.notEqual(result.code, 0, label);
    const errorLines = result.stderr.trim().split('\n');
    assert.equal(errorLines.length, 1, `${label}: ${result.stderr}`);
    assert.match(errorLines[0], pattern, label);
  }
  assert.ok(!existsSync(join(root, 'x.csv')));
});

it('every subcommand has --help', () => {
  const program = new Command('persona');
  registerIngestCommands(program);
  registerDatasetCommands(program);
  registerReviewCommands(program);
  const all = (command: Command): Command[] => [command, ...command.commands.flatMap(all)];
  const names = all(program)
    .slice(1)
    .map((c) => c.name());
  assert.deepEqual(names.sort(), ['approve', 'bulk', 'dataset', 'edit', 'export', 'ingest', 'list', 'reject', 'repair', 'review', 'stats', 'undo'].sort());
  for (const command of all(program).slice(1)) assert.match(command.helpInformation(), /Usage: .*\n[\s\S]*(Options|Commands):/, command.name());
});
