/**
 * Fuzzing ingest (issue #18): every import format's fixture, mutated at random from fixed
 * seeds (typed fields swapped, values removed, bytes cut, line endings changed, invisible
 * characters and NUL bytes inserted) and salted with planted secrets, some split by
 * zero-width characters. Whatever comes in: ingest never throws, a skipped file or message
 * always has a reason, and no planted secret reaches a sample. Bounded: a few hundred
 * small files, well under a few seconds.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ingestPaths, type FileResult } from '../../src/ingest/index.ts';
import { Rng } from '../../src/util/random.ts';
import { FIXTURES, adaPersona } from './helpers.ts';

const SECRETS = [
  'sk-abcdef1234567890abcdef1234567890',
  'mara.quill@example.com',
  'AKIAIOSFODNN7EXAMPLE',
  '415-555-0134',
  '4111 1111 1111 1111',
  'DE89 3704 0044 0532 0130 00',
  'ghp_0123456789abcdefghijABCDEFGHIJ012345',
  '192.168.1.23',
  'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
];
const INVISIBLE = ['\u200b', '\u200c', '\u200d', '\u2060', '\ufeff', '\u0007', '\u0085'];
const FILES = [
  'lecture-transcript.txt',
  'interview.srt',
  'captions.vtt',
  'dialogue.vtt',
  'dialogue.txt',
  'notes.md',
  'discord-export.json',
  'finetune.jsonl',
  'sharegpt.json',
];
const SEEDS = 40;

const pick = <T>(rng: Rng, items: readonly T[]): T => items[rng.int(items.length)];

/** A planted secret, sometimes split by an invisible character, set off by brackets so it is its own token. */
function planted(rng: Rng): string {
  const secret = pick(rng, SECRETS);
  if (rng.next() < 0.5) return ` (note ${secret}) `;
  const at = 1 + rng.int(secret.length - 1);
  return ` (note ${secret.slice(0, at)}${pick(rng, INVISIBLE)}${secret.slice(at)}) `;
}

/** A JSON value mutated in place: a string salted or retyped, a field dropped, an element doubled. */
function mutateJson(value: unknown, rng: Rng): unknown {
  if (typeof value === 'string') {
    const roll = rng.next();
    if (roll < 0.25) return value + planted(rng);
    if (roll < 0.32) return pick(rng, [42, { text: value }, [value], null, true]);
    if (roll < 0.36) return value.replace(/\n/g, '\r');
    return value;
  }
  if (Array.isArray(value)) {
    const out = value.map((item) => mutateJson(item, rng));
    if (out.length && rng.next() < 0.2) out.splice(rng.int(out.length), 0, structuredClone(out[rng.int(out.length)]));
    return out;
  }
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) if (rng.next() >= 0.05) out[key] = mutateJson(item, rng);
    return out;
  }
  return rng.next() < 0.05 ? String(value) : value;
}

/** A text file mutated line by line and byte by byte. */
function mutateText(text: string, rng: Rng): string {
  let lines = text.split('\n').map((line) => (line.trim() && rng.next() < 0.3 ? line + planted(rng) : line));
  if (rng.next() < 0.2) lines = lines.map((line) => (rng.next() < 0.1 ? line.slice(0, rng.int(line.length + 1)) : line));
  let out = lines.join(pick(rng, ['\n', '\n', '\r\n', '\r']));
  if (rng.next() < 0.15) out = out.slice(0, rng.int(out.length + 1));
  if (rng.next() < 0.1) out = `${out.slice(0, rng.int(out.length))}\u0000${out.slice(rng.int(out.length))}`;
  return out;
}

function mutate(name: string, text: string, rng: Rng): string {
  if (name.endsWith('.jsonl'))
    return text
      .split('\n')
      .map((line) => (line.trim() ? JSON.stringify(mutateJson(JSON.parse(line), rng)) : line))
      .join('\n');
  if (name.endsWith('.json')) {
    const json = JSON.stringify(mutateJson(JSON.parse(text), rng), null, 1);
    return rng.next() < 0.1 ? json.slice(0, rng.int(json.length)) : json;
  }
  return mutateText(text, rng);
}

/** Everything of a sample a user would export: target, context, speaker; invisible characters removed. */
function exportedText(result: FileResult): string {
  return result.drafts
    .flatMap((d) => [d.text, d.speaker, ...d.context.flatMap((t) => [t.text, t.speaker])])
    .join('\n')
    .replace(/[\u200b-\u200d\u2060\ufeff\u0000-\u0008\u000e-\u001f\u007f-\u009f]/g, '');
}

function check(results: FileResult[], where: string): void {
  for (const result of results) {
    if (result.skipped !== undefined) assert.ok(result.skipped.trim().length > 5, `${where}: a skip without a reason`);
    for (const item of result.invalid) assert.ok(item.reason.trim() && item.position, `${where}: a skipped message without a reason`);
    const text = exportedText(result);
    for (const secret of SECRETS) assert.ok(!text.includes(secret), `${where}: planted secret ${secret} reached a sample:\n${text}`);
  }
}

async function ingest(path: string, root: string): Promise<FileResult[]> {
  const results: FileResult[] = [];
  for await (const result of ingestPaths(adaPersona({ min_chars: 1 }), [path], { root })) results.push(result);
  return results;
}

test('randomly mutated files of every format: no crash, a reason for every skip, no planted secret in a sample', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'persona-fuzz-'));
  try {
    let samples = 0;
    for (const name of FILES) {
      const original = readFileSync(join(FIXTURES, name), 'utf8');
      for (let seed = 1; seed <= SEEDS; seed++) {
        const rng = new Rng(seed * 7919 + name.length);
        const path = join(dir, `${seed}-${name}`);
        writeFileSync(path, mutate(name, original, rng));
        const results = await ingest(path, dir);
        check(results, `${name} seed ${seed}`);
        samples += results.reduce((n, r) => n + r.drafts.length, 0);
      }
    }
    const slack = join(FIXTURES, 'slack-export');
    for (let seed = 1; seed <= SEEDS; seed++) {
      const rng = new Rng(seed * 104729);
      const copy = join(dir, `slack-${seed}`);
      cpSync(slack, copy, { recursive: true });
      for (const channel of readdirSync(copy).filter((entry) => statSync(join(copy, entry)).isDirectory())) {
        for (const day of readdirSync(join(copy, channel))) {
          const path = join(copy, channel, day);
          writeFileSync(path, mutate(day, readFileSync(path, 'utf8'), rng));
        }
      }
      const results = await ingest(copy, dir);
      check(results, `slack export seed ${seed}`);
      samples += results.reduce((n, r) => n + r.drafts.length, 0);
    }
    assert.ok(samples > 200, `the mutated files still gave samples (${samples}), so secrets were really tested`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
