/**
 * Plain text and Markdown (paragraphs separated by blank lines; hard-wrapped lines are
 * joined) and speaker-labelled scripts (`NAME: line`, continuation lines belong to the
 * last speaker). Positions are the 1-based line where a paragraph or turn starts.
 */
import type { Message, ParsedSource } from '../types.js';
import { clockToMs, emptySource } from './common.js';

/** `NAME: text`, optionally `[0:12] NAME: text` or `**NAME:** text`; group 1 clock, 2 name, 3 text. */
export const SPEAKER_LINE =
  /^\s*(?:[[(]?(\d{1,2}(?::\d{2}){1,2})[\])]?\s+)?(?:\*\*)?(\p{Lu}[\p{L}\p{N}.'’&-]*(?: [\p{L}\p{N}.'’&-]+){0,4}?)(?:\*\*)?\s*:(?:\*\*)?\s+(\S.*)$/u;
const STAGE_DIRECTION = /\s*(?:\([^)]{0,60}\)|\[[^\]]{0,60}\])\s*/g;

function paragraphs(lines: string[], keep: (line: string, index: number) => string | null): Message[] {
  const passages: Message[] = [];
  let current: Message | undefined;
  lines.forEach((raw, i) => {
    const line = keep(raw, i);
    if (line === null || !line.trim()) {
      if (current) passages.push(current);
      current = undefined;
      return;
    }
    if (current) current.text += `\n${line.trim()}`;
    else current = { speaker: '', text: line.trim(), position: `L${i + 1}` };
  });
  if (current) passages.push(current);
  // Hard-wrapped prose becomes one line per paragraph; list items keep their line breaks.
  for (const p of passages) p.text = p.text.replace(/\n(?![-*•] |\d+[.)] )/g, ' ');
  return passages;
}

export function parsePlainText(text: string): ParsedSource {
  const source = emptySource('text');
  source.passages = paragraphs(text.split('\n'), (line) => line);
  return source;
}

const MD_INLINE: Array<[RegExp, string]> = [
  [/!\[[^\]]*\]\([^)]*\)/g, ''], // images
  [/\[([^\]]+)\]\([^)]*\)/g, '$1'], // links
  [/<\/?[a-zA-Z][^>]*>/g, ''], // inline HTML
  [/(\*\*|__)(.+?)\1/g, '$2'],
  [/(?<![\w*])\*(?!\s)([^*]+?)\*(?!\w)/g, '$1'],
  [/(?<!\w)_(?!\s)([^_]+?)_(?!\w)/g, '$1'],
  [/`([^`]+)`/g, '$1'],
];

export function parseMarkdown(text: string): ParsedSource {
  const lines = text.split('\n');
  let inFence = false;
  let inFrontMatter = lines[0]?.trim() === '---';
  const source = emptySource('markdown');
  source.passages = paragraphs(lines, (line, i) => {
    const trimmed = line.trim();
    if (inFrontMatter) {
      if (trimmed === '---' && i > 0) inFrontMatter = false;
      return null;
    }
    if (/^(```|~~~)/.test(trimmed)) {
      inFence = !inFence;
      return null;
    }
    // Code, headings, tables and rules are not speech.
    if (inFence || /^#{1,6}\s|^\|.*\|$|^([-*_]\s*){3,}$/.test(trimmed)) return null;
    let out = trimmed.replace(/^(?:>\s?)+/, '').replace(/^(?:[-*+]|\d+[.)])\s+/, '• ');
    for (const [pattern, replacement] of MD_INLINE) out = out.replace(pattern, replacement);
    return out;
  });
  for (const p of source.passages) p.text = p.text.replace(/^• /gm, '- ');
  return source;
}

export function parseScript(text: string): ParsedSource {
  const conversation: Message[] = [];
  let current: Message | undefined;
  text.split('\n').forEach((line, i) => {
    const match = SPEAKER_LINE.exec(line);
    if (match) {
      current = { speaker: match[2].trim(), text: match[3].replace(STAGE_DIRECTION, ' ').trim(), position: `L${i + 1}` };
      if (match[1]) current.timestamp = clockToMs(match[1]);
      conversation.push(current);
    } else if (current && line.trim()) {
      current.text = `${current.text} ${line.replace(STAGE_DIRECTION, ' ').trim()}`.trim();
    }
  });
  const source = emptySource('script');
  source.conversations = [conversation];
  return source;
}
