/**
 * Existing chat datasets: JSONL in the OpenAI chat `messages` format and ShareGPT JSON
 * (`[{ conversations: [{ from, value }] }]`, also accepted one object per line). The
 * assistant's turns are the persona's (`isPersona`); system prompts are left out. A turn
 * whose content is not text (a number, an object, parts without text) is left out and
 * reported with its position, never dropped silently.
 */
import type { InvalidMessage, Message, ParsedSource } from '../types.js';
import { emptySource, malformed, parseJson } from './common.js';

type Role = 'user' | 'assistant' | 'skip';

const ROLES: Record<string, Role> = {
  user: 'user',
  human: 'user',
  assistant: 'assistant',
  gpt: 'assistant',
  chatgpt: 'assistant',
  bot: 'assistant',
  model: 'assistant',
};

function typeName(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/** The text of a message's content (a string, or OpenAI's list of parts), or why there is none. */
function contentText(content: unknown): string | { invalid: string } {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return { invalid: `content is ${typeName(content)}, not text` };
  const text = content.map((part: { type?: unknown; text?: unknown }) => (typeof part?.text === 'string' ? part.text : '')).join('');
  return text || content.length === 0 ? text : { invalid: 'content has no text parts' };
}

function turn(role: string | undefined, text: unknown, name: unknown, position: string, invalid: InvalidMessage[]): Message | null {
  const kind = ROLES[String(role).toLowerCase()] ?? 'skip';
  if (kind === 'skip') return null;
  const content = contentText(text);
  if (typeof content !== 'string') {
    invalid.push({ position, reason: content.invalid });
    return null;
  }
  if (!content) return null;
  const speaker = typeof name === 'string' && name ? name : kind === 'user' ? 'User' : 'Assistant';
  return kind === 'assistant' ? { speaker, text: content, position, isPersona: true } : { speaker, text: content, position };
}

type Convert = (record: never, where: string, invalid: InvalidMessage[]) => Message[];

function openaiConversation(
  record: { messages?: Array<{ role?: string; content?: unknown; name?: unknown }> },
  where: string,
  invalid: InvalidMessage[],
): Message[] {
  if (!Array.isArray(record?.messages)) throw malformed(`${where} has no "messages" array`);
  return record.messages.flatMap((m, i) => turn(m?.role, m?.content, m?.name, `${where}:${i}`, invalid) ?? []);
}

function sharegptConversation(
  record: { conversations?: Array<{ from?: string; value?: unknown; name?: unknown }> },
  where: string,
  invalid: InvalidMessage[],
): Message[] {
  if (!Array.isArray(record?.conversations)) throw malformed(`${where} has no "conversations" array`);
  return record.conversations.flatMap((m, i) => turn(m?.from, m?.value, m?.name, `${where}:${i}`, invalid) ?? []);
}

function jsonLines(text: string, each: Convert, invalid: InvalidMessage[]): Message[][] {
  const conversations: Message[][] = [];
  text.split('\n').forEach((line, i) => {
    if (!line.trim()) return;
    conversations.push(each(parseJson(line, `line ${i + 1}`) as never, `L${i + 1}`, invalid));
  });
  return conversations;
}

/** JSONL, one `{ messages }` record per line; a single JSON record or array of records is accepted too. */
export function parseOpenAiJsonl(text: string): ParsedSource {
  const source = emptySource('openai', 'import');
  const invalid: InvalidMessage[] = (source.invalid = []);
  const start = text.trimStart()[0];
  const firstBreak = text.indexOf('\n', text.length - text.trimStart().length);
  const oneDocument = start === '[' || (start === '{' && (firstBreak < 0 || text.slice(0, firstBreak).trim() === '{'));
  if (oneDocument) {
    const data = parseJson(text, 'the OpenAI chat file');
    const records = Array.isArray(data) ? data : [data];
    source.conversations = records.map((record, i) => openaiConversation(record, `#${i}`, invalid));
  } else {
    source.conversations = jsonLines(text, openaiConversation, invalid);
  }
  return source;
}

export function parseShareGpt(text: string): ParsedSource {
  const source = emptySource('sharegpt', 'import');
  const invalid: InvalidMessage[] = (source.invalid = []);
  if (text.trimStart().startsWith('[')) {
    const data = parseJson(text, 'the ShareGPT file');
    if (!Array.isArray(data)) throw malformed('a ShareGPT file should be a JSON array of conversations');
    source.conversations = data.map((record, i) => sharegptConversation(record, `#${i}`, invalid));
  } else {
    source.conversations = jsonLines(text, sharegptConversation, invalid);
  }
  return source;
}
