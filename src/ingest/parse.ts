/**
 * Reading one source: a file, a Slack export folder or zip. Refuses missing, enormous,
 * empty, binary and non-UTF-8 input and unknown formats with a PersonaError whose message
 * is one sentence naming the file; `details.reason` holds the same reason without the path.
 */
import { readFile, stat } from 'node:fs/promises';
import { extname } from 'node:path';
import { PersonaError } from '../errors.js';
import { HEAD_BYTES, detectFormat, isZip } from './detect.js';
import { inputError, malformed, tooLarge } from './formats/common.js';
import { parseOpenAiJsonl, parseShareGpt } from './formats/datasets.js';
import { parseDiscord } from './formats/discord.js';
import { isSlackExportDir, parseSlackFiles, readSlackDir, readSlackZip, slackChannelFile } from './formats/slack.js';
import { parseSubtitles, type VoiceTest } from './formats/subtitles.js';
import { parseMarkdown, parsePlainText, parseScript } from './formats/text.js';
import { parseTranscript } from './formats/transcript.js';
import type { FormatId, ParsedSource } from './types.js';

export const DEFAULT_MAX_BYTES = 200 * 1024 * 1024;

export interface ParseOptions {
  /** Skip detection and read the file as this format. */
  format?: FormatId;
  /** Larger files are refused (default 200 MB). */
  maxBytes?: number;
  /** Whether a speaker label names the chosen voice (subtitles attribute unlabelled cues with it). */
  isVoice?: VoiceTest;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * UTF-16 without a byte-order mark (Windows tools write it): Latin text has a zero high
 * byte in most code units, so zeros fill one parity of byte positions and not the other.
 */
function utf16WithoutBom(bytes: Uint8Array): 'utf-16le' | 'utf-16be' | null {
  const n = Math.min(bytes.length, 4096) & ~1;
  if (n < 4) return null;
  let even = 0;
  let odd = 0;
  for (let i = 0; i < n; i += 2) {
    if (bytes[i] === 0) even++;
    if (bytes[i + 1] === 0) odd++;
  }
  const units = n / 2;
  if (odd >= units * 0.3 && even <= units * 0.02) return 'utf-16le';
  if (even >= units * 0.3 && odd <= units * 0.02) return 'utf-16be';
  return null;
}

/** Decoded UTF-16 that is text: no NULs, hardly any control characters (binary data decodes to many). */
function looksLikeText(text: string): boolean {
  const controls = text.match(/[\x00-\x08\x0e-\x1f\x7f\ufffd]/g)?.length ?? 0;
  return !text.includes('\0') && controls <= text.length * 0.01;
}

function decodeText(bytes: Uint8Array): { text: string; utf16: boolean } {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return { text: new TextDecoder('utf-16le').decode(bytes.subarray(2)), utf16: true };
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return { text: new TextDecoder('utf-16be').decode(bytes.subarray(2)), utf16: true };
  const utf16 = bytes.includes(0) ? utf16WithoutBom(bytes) : null;
  if (utf16) {
    const text = new TextDecoder(utf16).decode(bytes);
    if (looksLikeText(text)) return { text, utf16: true };
  }
  if (bytes.includes(0)) throw inputError('input_unsupported', 'a binary file (it contains NUL bytes), not text');
  try {
    return { text: utf8.decode(bytes).replace(/^\ufeff/, ''), utf16: false };
  } catch {
    throw inputError('input_unsupported', 'not UTF-8 text (binary or another encoding)');
  }
}

function parseText(text: string, format: FormatId, path: string, isVoice: VoiceTest | undefined): ParsedSource {
  switch (format) {
    case 'transcript':
      return parseTranscript(text);
    case 'srt':
    case 'vtt':
      return parseSubtitles(text, format, isVoice);
    case 'text':
      return parsePlainText(text);
    case 'markdown':
      return parseMarkdown(text);
    case 'script':
      return parseScript(text);
    case 'discord':
      return parseDiscord(text);
    case 'slack':
      return parseSlackFiles(slackChannelFile(path, text));
    case 'openai':
      return parseOpenAiJsonl(text);
    case 'sharegpt':
      return parseShareGpt(text);
  }
}

function withPath(error: unknown, path: string, format: FormatId | null): PersonaError {
  if (error instanceof PersonaError) {
    const reason = String(error.details.reason ?? error.message);
    return new PersonaError(error.code, `${path}: ${reason}.`, { ...error.details, reason, path, format }, { cause: error });
  }
  const reason = `could not be read (${(error as Error).message})`;
  return new PersonaError('input_malformed', `${path}: ${reason}.`, { reason, path, format }, { cause: error });
}

/** Parses one file or Slack export into conversations and monologue passages. */
export async function parseSource(path: string, options: ParseOptions = {}): Promise<ParsedSource> {
  let format: FormatId | null = options.format ?? null;
  const limit = options.maxBytes ?? DEFAULT_MAX_BYTES;
  try {
    const info = await stat(path).catch(() => {
      throw inputError('input_not_found', 'no such file or folder');
    });
    if (info.isDirectory()) {
      format = 'slack';
      if (!isSlackExportDir(path)) throw inputError('input_unsupported', 'a folder that is not a Slack export (no users.json or channels.json)');
      return parseSlackFiles(readSlackDir(path, limit));
    }
    if (info.size > limit) throw tooLarge(info.size, limit);
    const bytes = await readFile(path);
    if (isZip(bytes) && extname(path).toLowerCase() === '.zip') {
      format = 'slack'; // other zip-based files (.docx, .xlsx) are refused below as binary
      return parseSlackFiles(readSlackZip(bytes, limit));
    }
    const decoded = decodeText(bytes);
    // Line endings are folded once, first: detection and every parser see `\n` only (an old-Mac
    // CR-only script would otherwise be one long line, read as plain text).
    const hasCr = decoded.text.includes('\r');
    const text = hasCr ? decoded.text.replace(/\r\n?/g, '\n') : decoded.text;
    if (!text.trim()) throw malformed('an empty file');
    const normalised = decoded.utf16 || hasCr;
    format ??= detectFormat(path, normalised ? new TextEncoder().encode(text.slice(0, HEAD_BYTES)) : bytes.subarray(0, HEAD_BYTES));
    if (!format) {
      throw inputError(
        'input_unsupported',
        'unknown format (expected a transcript, SRT/WebVTT subtitles, text, Markdown, a script, a Discord/Slack export, OpenAI JSONL or ShareGPT JSON)',
      );
    }
    return parseText(text, format, path, options.isVoice);
  } catch (error) {
    throw withPath(error, path, format);
  }
}
