/**
 * Existing chat datasets: JSONL in the OpenAI chat `messages` format and ShareGPT JSON
 * (`[{ conversations: [{ from, value }] }]`, also accepted one object per line). The
 * assistant's turns are the persona's (`isPersona`); system prompts are left out.
 */
import type { Message, ParsedSource } from '../types.js';
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

function turn(role: string | undefined, text: unknown, name: unknown, position: string): Message | null {
  const kind = ROLES[String(role).toLowerCase()] ?? 'skip';
  const content = Array.isArray(text)
    ? text.map((part: { type?: string; text?: string }) => (part?.type === 'text' || part?.text ? (part.text ?? '') : '')).join('')
    : typeof text === 'string'
      ? text
      : '';
  if (kind === 'skip' || !content) return null;
  const speaker = typeof name === 'string' && name ? name : kind === 'user' ? 'User' : 'Assistant';
  return kind === 'assistant' ? { speaker, text: content, position, isPersona: true } : { speaker, text: content, position };
}

function openaiConversation(record: { messages?: Array<{ role?: string; content?: unknown; name?: unknown }> }, where: string): Message[] {
  if (!Array.isArray(record?.messages)) throw malformed(`${where} has no "messages" array`);
  return record.messages.flatMap((m, i) => turn(m?.role, m?.content, m?.name, `${where}:${i}`) ?? []);
}

function sharegptConversation(record: { conversations?: Array<{ from?: string; value?: unknown; name?: unknown }> }, where: string): Message[] {
  if (!Array.isArray(record?.conversations)) throw malformed(`${where} has no "conversations" array`);
  return record.conversations.flatMap((m, i) => turn(m?.from, m?.value, m?.name, `${where}:${i}`) ?? []);
}

function jsonLines(text: string, each: (record: never, where: string) => Message[]): Message[][] {
  const conversations: Message[][] = [];
  text.split('\n').forEach((line, i) => {
    if (!line.trim()) return;
    conversations.push(each(parseJson(line, `line ${i + 1}`) as never, `L${i + 1}`));
  });
  return conversations;
}

/** JSONL, one `{ messages }` record per line; a single JSON record or array of records is accepted too. */
export function parseOpenAiJsonl(text: string): ParsedSource {
  const source = emptySource('openai', 'import');
  const start = text.trimStart()[0];
  const firstBreak = text.indexOf('\n', text.length - text.trimStart().length);
  const oneDocument = start === '[' || (start === '{' && (firstBreak < 0 || text.slice(0, firstBreak).trim() === '{'));
  if (oneDocument) {
    const data = parseJson(text, 'the OpenAI chat file');
    const records = Array.isArray(data) ? data : [data];
    source.conversations = records.map((record, i) => openaiConversation(record, `#${i}`));
  } else {
    source.conversations = jsonLines(text, openaiConversation);
  }
  return source;
}

export function parseShareGpt(text: string): ParsedSource {
  const source = emptySource('sharegpt', 'import');
  if (text.trimStart().startsWith('[')) {
    const data = parseJson(text, 'the ShareGPT file');
    if (!Array.isArray(data)) throw malformed('a ShareGPT file should be a JSON array of conversations');
    source.conversations = data.map((record, i) => sharegptConversation(record, `#${i}`));
  } else {
    source.conversations = jsonLines(text, sharegptConversation);
  }
  return source;
}
