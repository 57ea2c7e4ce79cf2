import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { zipSync } from 'fflate';
import { isPersonaError } from '../../src/errors.ts';
import { ingestPaths, parseSource, type FileResult, type IngestOptions, type IngestProgress } from '../../src/ingest/index.ts';
import { FIXTURES, ROOT, adaPersona } from './helpers.ts';

async function ingest(paths: string[], options: Partial<IngestOptions> = {}, persona = adaPersona()): Promise<FileResult[]> {
  const results: FileResult[] = [];
  for await (const result of ingestPaths(persona, paths, { root: ROOT, ...options })) results.push(result);
  return results;
}

const byFile = (results: FileResult[]) => Object.fromEntries(results.map((r) => [r.file.replace('test/fixtures/ingest/', ''), r]));

test('a folder of every format: one result per file, samples from each, refs relative to the root', async () => {
  const progress: IngestProgress[] = [];
  const results = byFile(await ingest([FIXTURES], { onFile: (p) => progress.push(p) }));
  const formats = Object.fromEntries(Object.entries(results).map(([file, r]) => [file, r.format]));
  assert.deepEqual(formats, {
    'bad/empty.txt': null,
    'bad/scores.csv': null,
    'bad/truncated-export.json': 'discord',
    'captions.vtt': 'vtt',
    'dialogue.txt': 'script',
    'dialogue.vtt': 'vtt',
    'discord-export.json': 'discord',
    'finetune.jsonl': 'openai',
    'interview.srt': 'srt',
    'lecture-transcript.txt': 'transcript',
    'notes.md': 'markdown',
    'sharegpt.json': 'sharegpt',
    'slack-export': 'slack',
    'talk-transcript.txt': 'transcript',
  });
  assert.equal(progress.length, 14);
  assert.deepEqual(progress[0], { file: 'test/fixtures/ingest/bad/empty.txt', index: 0, total: 14 });
  for (const [file, result] of Object.entries(results)) {
    if (!file.startsWith('bad/')) assert.ok(result.drafts.length > 0 && !result.skipped, `${file} gave samples`);
  }

  const discord = results['discord-export.json'];
  assert.deepEqual(
    discord.drafts.map((d) => [d.source.position, d.kind, d.text]),
    [
      ['1002', 'conversation', 'I am here.\nWrite to [email] for the notes.'],
      ['1006', 'monologue', 'Good afternoon everyone.'], // five hours of silence before it
      ['1008', 'conversation', 'A method for Bernoulli numbers.'],
    ],
  );
  assert.deepEqual(discord.drafts[0].context, [{ speaker: 'Charles', text: 'Has anyone seen @Ada Lovelace?' }]);
  assert.deepEqual(discord.redactions, { email: 1, mention: 1 });
  assert.equal(discord.messages, 7);
  assert.ok(
    discord.drafts.every((d) => d.source.type === 'discord' && d.source.ref === 'discord:900/901'),
    'exports use the live-capture ref',
  );

  const slack = results['slack-export'];
  assert.deepEqual(
    slack.drafts.map((d) => d.text),
    ['Yes & I replied there.', 'The one about the notes.', 'Always, Charles.'],
  );
  assert.deepEqual(slack.drafts[0].context, [{ speaker: 'Charles Babbage', text: 'Morning @Ada! Did you see #random?' }]);
  assert.equal(slack.duplicates, 0, 'a thread parent seen in its channel and its thread is one sample');
  assert.equal(slack.messages, 7);
  assert.deepEqual(
    slack.drafts.map((d) => `${d.source.ref} ${d.source.position}`),
    ['slack:T0ENGINE/C0GEN 1704103290.000300', 'slack:T0ENGINE/C0GEN 1704103500.000500', 'slack:T0ENGINE/C0RND 1704110030.000200'],
  );

  assert.deepEqual(
    results['dialogue.vtt'].drafts.map((d) => [d.kind, d.text, d.context.length]),
    [['conversation', 'Almost.\nThey are longer than your paper.', 1]],
  );
  const script = results['dialogue.txt'];
  assert.deepEqual(
    script.drafts.map((d) => [d.speaker, d.context.length]),
    [
      ['ADA', 1],
      ['ADA', 3],
    ],
  );
  assert.deepEqual(
    results['finetune.jsonl'].drafts.map((d) => d.source.type),
    ['import', 'import', 'import'],
  );
  assert.ok(results['talk-transcript.txt'].drafts.every((d) => d.kind === 'monologue' && d.source.ref === 'test/fixtures/ingest/talk-transcript.txt'));
});

test('bad input is skipped with a reason and the batch goes on', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ingest-bad-'));
  writeFileSync(join(dir, 'image.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]));
  writeFileSync(join(dir, 'latin1.txt'), Buffer.from('caf\xe9 au lait\n', 'latin1'));
  writeFileSync(join(dir, 'broken.zip'), Buffer.from([0x50, 0x4b, 3, 4, 1, 2, 3]));
  writeFileSync(join(dir, 'letter.docx'), zipSync({ 'word/document.xml': new Uint8Array(64) }));
  writeFileSync(join(dir, 'big.txt'), 'x'.repeat(2048));
  writeFileSync(join(dir, 'good.txt'), 'A perfectly good paragraph.\n');
  const bomb = zipSync({ 'users.json': new TextEncoder().encode(`[${' '.repeat(200_000)}]`) });
  assert.ok(bomb.length < 1024);
  writeFileSync(join(dir, 'bomb.zip'), bomb);
  const results = byFile(await ingest([join(FIXTURES, 'bad'), dir, 'no/such/file.srt', 'no/match/*.vtt'], { root: dir, maxBytes: 1024 }));
  const reasons = Object.fromEntries(Object.entries(results).map(([file, r]) => [file.replace(/^.*\//, ''), r.skipped]));
  assert.match(reasons['empty.txt']!, /empty file/);
  assert.match(reasons['scores.csv']!, /unknown format/);
  assert.match(reasons['truncated-export.json']!, /not valid JSON \(truncated/);
  assert.match(reasons['image.png']!, /binary file/);
  assert.match(reasons['latin1.txt']!, /not UTF-8 text/);
  assert.match(reasons['broken.zip']!, /zip archive is corrupt or truncated/);
  assert.match(reasons['letter.docx']!, /binary file/);
  assert.match(reasons['big.txt']!, /too large \(0\.0 MB, the limit is 0\.0 MB\)/);
  assert.match(reasons['bomb.zip']!, /too large \(0\.2 MB, the limit is 0\.0 MB\)/, 'the unpacked size of a zip counts');
  assert.match(reasons['file.srt']!, /no such file or folder/);
  assert.match(reasons['*.vtt']!, /no files match no\/match\/\*\.vtt/);
  assert.equal(reasons['good.txt'], undefined);
  assert.deepEqual(
    results['good.txt'].drafts.map((d) => d.text),
    ['A perfectly good paragraph.'],
  );
  for (const r of Object.values(results)) if (r.skipped) assert.equal(r.drafts.length, 0);

  // parseSource itself throws one sentence naming the file, with a stable code.
  await assert.rejects(
    parseSource(join(dir, 'gone.txt')),
    (e) => isPersonaError(e, 'input_not_found') && e.message === `${join(dir, 'gone.txt')}: no such file or folder.`,
  );
  await assert.rejects(
    parseSource(join(FIXTURES, 'bad/scores.csv')),
    (e) => isPersonaError(e, 'input_unsupported') && /scores\.csv: unknown format/.test(e.message),
  );
  await assert.rejects(parseSource(join(FIXTURES, 'bad/truncated-export.json')), (e) => isPersonaError(e, 'input_malformed'));
});

test('ingesting the same material twice yields the same ids; duplicates in a batch are dropped and counted', async () => {
  const first = await ingest([FIXTURES]);
  const second = await ingest([FIXTURES]);
  const ids = (results: FileResult[]) => results.flatMap((r) => r.drafts.map((d) => d.id));
  assert.ok(ids(first).length > 20);
  assert.deepEqual(ids(second), ids(first));
  assert.equal(new Set(ids(first)).size, ids(first).length, 'ids are unique');

  const dir = mkdtempSync(join(tmpdir(), 'ingest-dupes-'));
  mkdirSync(join(dir, 'copies'));
  copyFileSync(join(FIXTURES, 'interview.srt'), join(dir, 'a.srt'));
  copyFileSync(join(FIXTURES, 'interview.srt'), join(dir, 'copies', 'b.srt'));
  writeFileSync(join(dir, 'c.txt'), 'Good evening, everyone! The engine might compose elaborate pieces of music...\n\nSomething new.\n');
  const results = byFile(await ingest(['*.srt', 'copies', 'c.txt'], { root: dir }));
  assert.equal(results['a.srt'].drafts.length, 2);
  assert.deepEqual([results['copies/b.srt'].drafts.length, results['copies/b.srt'].duplicates], [0, 2]);
  assert.deepEqual(
    results['c.txt'].drafts.map((d) => d.text),
    ['Something new.'],
    'a near-duplicate (case, punctuation) is dropped',
  );
  assert.equal(results['c.txt'].duplicates, 1);
});

test('--speaker names the voice of a monologue file and picks the targets of a chat', async () => {
  const [script] = await ingest([join(FIXTURES, 'dialogue.txt')], { speaker: 'Babbage' });
  assert.deepEqual(
    script.drafts.map((d) => d.text),
    ['Have you read the notes?', 'Then we should publish.'],
  );
  const [talk] = await ingest([join(FIXTURES, 'interview.srt')], { speaker: 'Lady Lovelace' });
  assert.ok(talk.drafts.every((d) => d.speaker === 'Lady Lovelace'));
});
