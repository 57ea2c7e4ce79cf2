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
import { parseSubtitles } from './formats/subtitles.js';
import { parseMarkdown, parsePlainText, parseScript } from './formats/text.js';
import { parseTranscript } from './formats/transcript.js';
import type { FormatId, ParsedSource } from './types.js';

export const DEFAULT_MAX_BYTES = 200 * 1024 * 1024;

export interface ParseOptions {
  /** Skip detection and read the file as this format. */
  format?: FormatId;
  /** Larger files are refused (default 200 MB). */
  maxBytes?: number;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function decodeText(bytes: Uint8Array): string {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return new TextDecoder('utf-16le').decode(bytes.subarray(2));
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return new TextDecoder('utf-16be').decode(bytes.subarray(2));
  if (bytes.includes(0)) throw inputError('input_unsupported', 'a binary file (it contains NUL bytes), not text');
  try {
    return utf8.decode(bytes).replace(/^\ufeff/, '');
  } catch {
    throw inputError('input_unsupported', 'not UTF-8 text (binary or another encoding)');
  }
}

function parseText(text: string, format: FormatId, path: string): ParsedSource {
  switch (format) {
    case 'transcript':
      return parseTranscript(text);
    case 'srt':
    case 'vtt':
      return parseSubtitles(text, format);
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
    const text = decoded.includes('\r') ? decoded.replace(/\r\n?/g, '\n') : decoded;
    if (!text.trim()) throw malformed('an empty file');
    const utf16 = bytes[0] === 0xff || bytes[0] === 0xfe;
    format ??= detectFormat(path, utf16 ? new TextEncoder().encode(text.slice(0, HEAD_BYTES)) : bytes.subarray(0, HEAD_BYTES));
    if (!format) {
      throw inputError('input_unsupported', 'unknown format (expected a transcript, SRT/WebVTT subtitles, text, Markdown, a script, a Discord/Slack export, OpenAI JSONL or ShareGPT JSON)');
    }
    return parseText(text, format, path);
  } catch (error) {
    throw withPath(error, path, format);
  }
}
