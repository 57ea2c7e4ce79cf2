import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { zipSync } from 'fflate';
import { detectFormat, parseSource, type Message } from '../../src/ingest/index.ts';
import { FIXTURES } from './helpers.ts';

const fixture = (name: string) => join(FIXTURES, name);
const texts = (messages: Message[]) => messages.map((m) => m.text);
const lines = (messages: Message[]) => messages.map((m) => `${m.speaker}: ${m.text}`);

/** The Slack fixture folder zipped under a top folder, as Slack's own download is. */
function zippedSlackExport(): string {
  const base = fixture('slack-export');
  const files: Record<string, Uint8Array> = {};
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else files[`Engine Society Slack export/${relative(base, path)}`] = readFileSync(path);
    }
  };
  walk(base);
  const zip = join(mkdtempSync(join(tmpdir(), 'slack-zip-')), 'export.zip');
  writeFileSync(zip, zipSync(files));
  return zip;
}

test('formats are detected by content and extension', () => {
  const cases: Record<string, string | null> = {
    'talk-transcript.txt': 'transcript',
    'lecture-transcript.txt': 'transcript',
    'interview.srt': 'srt',
    'captions.vtt': 'vtt',
    'dialogue.vtt': 'vtt',
    'notes.md': 'markdown',
    'dialogue.txt': 'script',
    'discord-export.json': 'discord',
    'finetune.jsonl': 'openai',
    'sharegpt.json': 'sharegpt',
    'slack-export/general/2024-01-01.json': 'slack',
    'bad/scores.csv': null,
  };
  for (const [name, format] of Object.entries(cases)) assert.equal(detectFormat(name, readFileSync(fixture(name))), format, name);
  const enc = new TextEncoder();
  assert.equal(detectFormat('speech.txt', enc.encode('We shall fight.\n\nWe shall never surrender.')), 'text');
  assert.equal(detectFormat('no-extension', enc.encode('1\n00:00:01,000 --> 00:00:02,000\nHi\n')), 'srt');
  assert.equal(detectFormat('subs.txt', enc.encode('WEBVTT\n\n00:01.000 --> 00:02.000\nHi\n')), 'vtt');
  assert.equal(detectFormat('users.json', enc.encode('[{"id": "U1", "name": "x"}]')), null);
  assert.equal(detectFormat('export.zip', new Uint8Array([0x50, 0x4b, 3, 4, 0])), 'slack');
});

test('timestamped transcripts: fragments are joined into sentences and paragraphs', async () => {
  const parsed = await parseSource(fixture('talk-transcript.txt'));
  assert.deepEqual(texts(parsed.passages), [
    'so today I want to talk about the analytical engine and why it matters. It is not a mere calculator.',
    'the engine weaves algebraic patterns just as the Jacquard loom weaves flowers and leaves.',
    'thank you all for coming.',
  ]);
  assert.deepEqual(
    parsed.passages.map((p) => [p.position, p.timestamp]),
    [
      ['L2', 4000],
      ['L6', 20000],
      ['L9', 3_723_000],
    ],
  );

  const twoLine = await parseSource(fixture('lecture-transcript.txt'));
  assert.deepEqual(texts(twoLine.passages), ['Good evening. Tonight I shall describe a machine that computes.', 'It was designed by my friend Mr. Babbage.']);
});

test('SRT: cue numbers, timings, tags and repeated lines are removed', async () => {
  const parsed = await parseSource(fixture('interview.srt'));
  assert.deepEqual(texts(parsed.passages), ['Good evening, everyone. The engine might compose elaborate pieces of music.', 'Of any degree of complexity.']);
  assert.deepEqual(
    parsed.passages.map((p) => p.position),
    ['c1', 'c4'],
  );
});

test('WebVTT: header, NOTE and STYLE blocks, inline tags and rolling captions are cleaned up', async () => {
  const parsed = await parseSource(fixture('captions.vtt'));
  assert.deepEqual(texts(parsed.passages), ['the science of operations is a science of its own.', 'Imagination is the discovering faculty.']);
});

test('WebVTT with voice tags is a dialogue: one message per line, with its speaker', async () => {
  const parsed = await parseSource(fixture('dialogue.vtt'));
  assert.deepEqual(parsed.passages, []);
  assert.deepEqual(
    parsed.conversations[0].map((m) => [m.position, m.speaker, m.text]),
    [
      ['c1', 'Charles Babbage', 'Have you finished the notes?'],
      ['c2', 'Ada Lovelace', 'Almost.'],
      ['c2.1', 'Ada Lovelace', 'They are longer than your paper.'],
      ['c3', 'Charles Babbage', 'Splendid.'],
    ],
  );
});

test('plain text and Markdown become paragraphs without markup, code or headings', async () => {
  const md = await parseSource(fixture('notes.md'));
  assert.deepEqual(texts(md.passages), [
    'The Analytical Engine has no pretensions whatever to originate anything. It can do whatever we know how to order it to perform.',
    '- It weaves patterns.\n- It follows rules.',
    'That brain of mine is something more than merely mortal.',
  ]);
  const dir = mkdtempSync(join(tmpdir(), 'plain-'));
  writeFileSync(join(dir, 'speech.txt'), 'We shall fight\non the beaches.\n\n\nWe shall never surrender.\n');
  const plain = await parseSource(join(dir, 'speech.txt'));
  assert.deepEqual(
    plain.passages.map((p) => [p.position, p.text]),
    [
      ['L1', 'We shall fight on the beaches.'],
      ['L5', 'We shall never surrender.'],
    ],
  );
});

test('speaker-labelled scripts: one turn per label, continuation lines and stage directions handled', async () => {
  const parsed = await parseSource(fixture('dialogue.txt'));
  assert.deepEqual(lines(parsed.conversations[0]), [
    'BABBAGE: Have you read the notes?',
    'ADA: I have written them, Charles. They are longer than the paper itself.',
    'BABBAGE: Then we should publish.',
    'ADA: We shall.',
    'MENABREA: I agree entirely.',
  ]);
});

test('timestamped scripts keep their speakers and timestamps', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'script-'));
  const text = '0:04 ADA: The engine is ready.\n0:09 CHARLES: At last.\n[1:00:02] ADA: Let us begin.\n';
  writeFileSync(join(dir, 'meeting.txt'), text);
  assert.equal(detectFormat('meeting.txt', new TextEncoder().encode(text)), 'script');
  const [conversation] = (await parseSource(join(dir, 'meeting.txt'))).conversations;
  assert.deepEqual(
    conversation.map((m) => [m.speaker, m.text, m.timestamp]),
    [
      ['ADA', 'The engine is ready.', 4000],
      ['CHARLES', 'At last.', 9000],
      ['ADA', 'Let us begin.', 3_602_000],
    ],
  );
});

test('DiscordChatExporter JSON: authors, ids, timestamps and mention names; system messages left out', async () => {
  const parsed = await parseSource(fixture('discord-export.json'));
  const [conversation] = parsed.conversations;
  assert.deepEqual(
    conversation.map((m) => m.position),
    ['1001', '1002', '1003', '1005', '1006', '1007', '1008'],
  );
  assert.equal(conversation[1].speakerId, '111');
  assert.equal(conversation[1].timestamp, Date.parse('2024-01-01T10:00:30Z'));
  assert.equal(conversation[3].isBot, true);
  assert.equal(parsed.users['333'], 'Mary Somerville');
  assert.equal(parsed.channels['901'], 'general');
  assert.deepEqual(parsed.platformSources, [{ type: 'discord', ref: 'discord:900/901' }]);
});

for (const [kind, path] of [
  ['folder', () => fixture('slack-export')],
  ['zip', zippedSlackExport],
] as const) {
  test(`Slack export (${kind}): channels and threads become conversations, joins left out`, async () => {
    const parsed = await parseSource(path());
    assert.equal(parsed.format, 'slack');
    assert.deepEqual(parsed.users, { U0ADA: 'Ada', U0CB: 'Charles Babbage', B0BOT: 'Reminder' });
    assert.deepEqual(parsed.channels, { C0GEN: 'general', C0RND: 'random' });
    const [general, thread, random] = parsed.conversations;
    assert.deepEqual(lines(general), [
      'Charles Babbage: Morning <@U0ADA>! Did you see <#C0RND|random>?',
      'Ada: Yes &amp; I replied there.',
      'Reminder: Standup in 5 minutes <!here>',
    ]);
    assert.deepEqual(lines(thread), [
      'Ada: Yes &amp; I replied there.',
      'Charles Babbage: Which reply?',
      'Ada: The one about <https://example.com/notes|the notes>.',
    ]);
    assert.deepEqual(lines(random), ['Charles Babbage: Anyone for tea?', 'Ada: Always, Charles.']);
    assert.equal(general[1].position, '1704103290.000300', 'with the workspace known, the position is the Slack ts');
    assert.deepEqual(parsed.platformSources, [
      { type: 'slack', ref: 'slack:T0ENGINE/C0GEN' },
      { type: 'slack', ref: 'slack:T0ENGINE/C0GEN' },
      { type: 'slack', ref: 'slack:T0ENGINE/C0RND' },
    ]);
    assert.equal(general[1].timestamp, 1_704_103_290_000);
    assert.equal(general[2].isBot, true);
  });
}

test('a lone Slack channel file: the file is the ref, positions name the channel folder', async () => {
  const parsed = await parseSource(fixture('slack-export/random/2024-01-01.json'));
  assert.deepEqual(
    parsed.conversations[0].map((m) => m.position),
    ['random/1704110000.000100', 'random/1704110030.000200'],
  );
  assert.deepEqual(parsed.platformSources, [undefined]);
});

test('OpenAI JSONL (or one JSON record) and ShareGPT: assistant turns are marked as the persona, system prompts left out', async () => {
  const openai = await parseSource(fixture('finetune.jsonl'));
  assert.equal(openai.sourceType, 'import');
  assert.deepEqual(openai.conversations.map(lines), [
    ['User: What can the engine do?', 'Assistant: Whatever we know how to order it to perform.'],
    [
      'User: Can it compose music?',
      'Assistant: It might compose elaborate pieces of music.',
      'User: Of any complexity?',
      'Assistant: Of any degree of complexity or extent.',
    ],
  ]);
  assert.deepEqual(
    openai.conversations[1].map((m) => m.isPersona ?? false),
    [false, true, false, true],
  );

  const dir = mkdtempSync(join(tmpdir(), 'openai-'));
  const pretty = JSON.stringify(
    {
      messages: [
        { role: 'user', content: 'Hi' },
        { role: 'assistant', content: 'Hello there.' },
      ],
    },
    null,
    2,
  );
  writeFileSync(join(dir, 'one.json'), pretty);
  assert.equal(detectFormat('one.json', new TextEncoder().encode(pretty)), 'openai');
  assert.deepEqual((await parseSource(join(dir, 'one.json'))).conversations.map(lines), [['User: Hi', 'Assistant: Hello there.']]);

  const sharegpt = await parseSource(fixture('sharegpt.json'));
  assert.deepEqual(sharegpt.conversations.map(lines), [
    ['User: Who designed the engine?', 'Assistant: Mr. Babbage designed it; I wrote its notes.'],
    ['User: Is it a calculator?', 'Assistant: It is far more than a calculator.'],
  ]);
});
