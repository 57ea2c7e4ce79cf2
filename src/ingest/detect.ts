/**
 * Format detection from a file's first bytes and its extension. Content wins where it is
 * unambiguous (a WEBVTT header, DiscordChatExporter's `"guild"` key, timestamped lines);
 * the extension decides between plain text and Markdown and rules out unknown files.
 */
import { extname } from 'node:path';
import { TIMESTAMP_LINE } from './formats/transcript.js';
import { SPEAKER_LINE } from './formats/text.js';
import type { FormatId } from './types.js';

/** How many leading bytes detection looks at. */
export const HEAD_BYTES = 64 * 1024;
const TEXT_EXTENSIONS = new Set(['', '.txt', '.text', '.transcript', '.log']);
const MARKDOWN_EXTENSIONS = new Set(['.md', '.markdown', '.mdown']);
const SRT_START = /^\d+[ \t]*\r?\n[ \t]*(?:\d+:)?\d{1,2}:\d{2}[,.]\d{1,3}[ \t]*-->/;
const headDecoder = new TextDecoder('utf-8');

export function isZip(head: Uint8Array): boolean {
  return head[0] === 0x50 && head[1] === 0x4b && head[2] === 0x03 && head[3] === 0x04;
}

function detectJson(start: string): FormatId | null {
  if (/^\{\s*"guild"\s*:/.test(start) || (start.includes('"guild"') && start.includes('"messages"') && start.includes('"author"'))) return 'discord';
  if (/"messages"\s*:\s*\[/.test(start) && /"role"\s*:\s*"(?:user|assistant|system)"/.test(start)) return 'openai';
  if (/"conversations"\s*:\s*\[/.test(start) && /"(?:from|value)"\s*:/.test(start)) return 'sharegpt';
  if (start[0] === '[' && /"ts"\s*:\s*"\d+\.\d+"/.test(start)) return 'slack';
  return null;
}

/** Share of non-empty lines that look like `0:04 text` (or a timestamp line and its text line). */
function lineShapes(lines: string[]): { timestamped: number; labelled: number; names: Set<string> } {
  let timestamped = 0;
  let labelled = 0;
  const names = new Set<string>();
  let afterBareTimestamp = false;
  for (const line of lines) {
    const ts = TIMESTAMP_LINE.exec(line);
    if (ts || afterBareTimestamp) timestamped++;
    afterBareTimestamp = ts !== null && ts[2] === undefined;
    const speaker = SPEAKER_LINE.exec(line);
    if (speaker) {
      labelled++;
      names.add(speaker[2].toLowerCase());
    }
  }
  return { timestamped, labelled, names };
}

/** The format of `path` judged by its first bytes and extension, or null when not ingestible. */
export function detectFormat(path: string, head: Uint8Array): FormatId | null {
  const ext = extname(path).toLowerCase();
  if (isZip(head)) return ext === '.zip' ? 'slack' : null;
  const start = headDecoder
    .decode(head.subarray(0, HEAD_BYTES))
    .replace(/^\ufeff/, '')
    .trimStart();
  if (!start) return null;
  if (ext === '.srt' || SRT_START.test(start)) return 'srt';
  if (ext === '.vtt' || /^WEBVTT\b/.test(start)) return 'vtt';
  if (start[0] === '{' || start[0] === '[' || ext === '.json' || ext === '.jsonl') {
    const json = detectJson(start);
    if (json || ext === '.json' || ext === '.jsonl') return json;
  }
  const lines = start
    .split(/\r?\n/, 400)
    .filter((line) => line.trim())
    .slice(0, 200);
  const shape = lineShapes(lines);
  // Scripts first: `0:04 ADA: text` is a timestamped script, not a monologue transcript.
  if (shape.labelled >= 2 && shape.labelled >= lines.length * 0.5 && (shape.names.size >= 2 || shape.labelled >= lines.length * 0.8)) return 'script';
  if (shape.timestamped >= 2 && shape.timestamped >= lines.length * 0.8) return 'transcript';
  if (MARKDOWN_EXTENSIONS.has(ext)) return 'markdown';
  return TEXT_EXTENSIONS.has(ext) ? 'text' : null;
}
