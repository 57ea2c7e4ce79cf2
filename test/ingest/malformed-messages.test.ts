/**
 * Hostile and careless input (issue #18): wrongly typed fields in DiscordChatExporter and
 * Slack exports, non-text content in OpenAI/ShareGPT files, old-Mac line endings and UTF-16
 * without a byte-order mark. A bad message is skipped with a reason and the batch goes on.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ingestPaths, parseSource, type FileResult } from '../../src/ingest/index.ts';
import { adaPersona } from './helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'persona-malformed-'));

function write(name: string, content: string | Uint8Array): string {
  const path = join(dir, name);
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, content);
  return path;
}

async function ingest(paths: string[], speaker?: string): Promise<FileResult[]> {
  const results: FileResult[] = [];
  for await (const result of ingestPaths(adaPersona(), paths, { root: dir, speaker })) results.push(result);
  return results;
}

const dce = (messages: unknown[]) => JSON.stringify({ guild: { id: '1' }, channel: { id: '2', name: 'general' }, messages });
const ada = { id: '111', name: 'Ada Lovelace' };

test('DiscordChatExporter messages with wrongly typed fields are skipped with a reason; the batch goes on', async () => {
  const bad = write(
    'typed.json',
    dce([
      { id: '10', type: 'Default', timestamp: '2024-01-01T10:00:00Z', content: 42, author: ada },
      { id: '11', type: 'Default', timestamp: '2024-01-01T10:00:10Z', content: { text: 'x' }, author: ada },
      { id: '12', type: 'Default', timestamp: '2024-01-01T10:00:20Z', content: ['x'], author: ada },
      { id: '13', type: 'Default', timestamp: '2024-01-01T10:00:30Z', content: 'Hello', author: { id: '5', name: 42 } },
      { id: '14', type: 'Default', timestamp: '2024-01-01T10:00:40Z', content: 'Hello', author: { id: '5', name: 'Bob', nickname: 7 } },
      { id: '15', type: 'Default', timestamp: '2024-01-01T11:00:00Z', content: 'The engine weaves algebraic patterns.', author: ada },
    ]),
  );
  const next = write('next.txt', 'Ada Lovelace wrote this paragraph about the analytical engine.');
  const [typed, after] = await ingest([bad, next]);
  assert.equal(typed.skipped, undefined);
  assert.deepEqual(
    typed.invalid.map((i) => i.position),
    ['10', '11', '12', '13', '14'],
  );
  assert.match(typed.invalid[0].reason, /^content: expected string, received number$/);
  assert.match(typed.invalid[3].reason, /^author\.name: /);
  assert.match(typed.invalid[4].reason, /^author\.nickname: /);
  assert.deepEqual(
    typed.drafts.map((d) => d.text),
    ['The engine weaves algebraic patterns.'],
  );
  assert.equal(after.drafts.length, 1, 'the file after the bad one is read');
});

test('Slack messages and users with wrongly typed fields are skipped with a reason', async () => {
  write(
    'slack/users.json',
    JSON.stringify([
      { id: 'U0ADA', team_id: 'T1', name: 'ada', real_name: 'Ada Lovelace' },
      { id: 'U0BAD', name: 99 },
    ]),
  );
  write('slack/channels.json', JSON.stringify([{ id: 'C1', name: 'general' }]));
  write(
    'slack/general/2024-01-01.json',
    JSON.stringify([
      { type: 'message', user: 'U0ADA', text: 12345, ts: '1704103200.000100' },
      { type: 'message', user: 'U0ADA', text: 'Numbers are the poetry of the engine.', ts: '1704103290.000300' },
    ]),
  );
  const [result] = await ingest([join(dir, 'slack')]);
  assert.equal(result.skipped, undefined);
  const byPosition = [...result.invalid].sort((x, y) => x.position.localeCompare(y.position));
  assert.deepEqual(byPosition, [
    { position: 'general/2024-01-01.json 1704103200.000100', reason: 'text: expected string, received number' },
    { position: 'users.json U0BAD', reason: 'name: expected string, received number' },
  ]);
  assert.deepEqual(
    result.drafts.map((d) => d.text),
    ['Numbers are the poetry of the engine.'],
  );
});

test('OpenAI and ShareGPT turns whose content is not text are counted and reported', async () => {
  const openai = write(
    'chat.jsonl',
    [
      JSON.stringify({
        messages: [
          { role: 'user', content: 'Hi?' },
          { role: 'assistant', content: 7 },
        ],
      }),
      JSON.stringify({
        messages: [
          { role: 'user', content: { a: 1 } },
          { role: 'assistant', content: 'A fine question about engines.' },
        ],
      }),
    ].join('\n'),
  );
  const sharegpt = write(
    'share.json',
    JSON.stringify([
      {
        conversations: [
          { from: 'human', value: ['x'] },
          { from: 'gpt', value: 'Poetical science, I call it.' },
        ],
      },
    ]),
  );
  const [a, b] = await ingest([openai, sharegpt]);
  assert.deepEqual(a.invalid, [
    { position: 'L1:1', reason: 'content is a number, not text' },
    { position: 'L2:0', reason: 'content is an object, not text' },
  ]);
  assert.deepEqual(b.invalid, [{ position: '#0:0', reason: 'content has no text parts' }]);
  assert.equal(a.drafts.length + b.drafts.length, 2);
});

test('a CR-only script is read as a script: the host’s lines are context, not the persona’s words', async () => {
  const script = write(
    'old-mac.txt',
    'HOST: What is the engine for?\rMARA QUILL: It weaves algebra as a loom weaves flowers.\rHOST: And poetry?\rMARA QUILL: Poetical science, always.\r',
  );
  const parsed = await parseSource(script);
  assert.equal(parsed.format, 'script');
  const [result] = await ingest([script], 'Mara Quill');
  assert.deepEqual(
    result.drafts.map((d) => [d.speaker, d.text]),
    [
      ['MARA QUILL', 'It weaves algebra as a loom weaves flowers.'],
      ['MARA QUILL', 'Poetical science, always.'],
    ],
  );
});

test('UTF-16 without a byte-order mark is decoded, not refused as binary', async () => {
  const text = 'Ada Lovelace: The engine might compose elaborate pieces of music.\nCharles: Indeed.\n';
  const le = Buffer.from(text, 'utf16le');
  const be = Buffer.from(le).swap16();
  for (const [name, bytes] of [
    ['le.txt', le],
    ['be.txt', be],
  ] as const) {
    const parsed = await parseSource(write(name, bytes));
    assert.equal(parsed.format, 'script', name);
    assert.equal(parsed.conversations[0][0].text, 'The engine might compose elaborate pieces of music.');
  }
  await assert.rejects(parseSource(write('blob.bin', new Uint8Array([1, 0, 0, 0, 200, 3, 0, 9, 0, 0, 0, 1]))), /binary/);
  await assert.rejects(
    parseSource(write('blob2.bin', new Uint8Array([0, 1, 2, 3, 0, 255, 0, 9]))),
    /binary/,
    'zeros in every other byte alone do not make text',
  );
});

test('a --speaker that matches nobody names the speakers the file does have', async () => {
  const script = write('panel.txt', 'HOST: Welcome back.\nGUEST: Glad to be here.\nHOST: Tell us about engines.\nGUEST: They weave algebra.\n');
  const [result] = await ingest([script], 'Mara Quill');
  assert.equal(result.drafts.length, 0);
  assert.deepEqual(result.otherSpeakers, ['HOST', 'GUEST']);
  const [matched] = await ingest([script], 'guest');
  assert.equal(matched.otherSpeakers, undefined);
  assert.equal(matched.drafts.length, 2);
});
