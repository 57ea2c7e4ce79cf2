/**
 * Export formats of a dataset snapshot:
 * - openai: JSONL, one `{"messages":[…]}` per sample (system prompt, context turns as user /
 *   assistant with `name`, the persona's reply as the last assistant message), the format
 *   OpenAI fine-tuning and most trainers read;
 * - sharegpt: one JSON array of `{"conversations":[{"from","value"}]}` (system/human/gpt);
 * - text: plain text, one sample per block, `Speaker: text` lines, blocks separated by a blank line.
 * Monologue samples are a lone persona turn (after the system prompt), as the trainer renders them.
 */
import type { TrainingSample } from './types.js';

export const EXPORT_FORMATS = ['openai', 'sharegpt', 'text'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

interface Turn {
  role: 'system' | 'user' | 'assistant';
  name?: string;
  text: string;
}

function turnsOf(sample: TrainingSample, systemPrompt: string): Turn[] {
  const turns: Turn[] = systemPrompt ? [{ role: 'system', text: systemPrompt }] : [];
  for (const turn of sample.context) turns.push({ role: turn.isPersona ? 'assistant' : 'user', name: turn.speaker, text: turn.text });
  turns.push({ role: 'assistant', name: sample.speaker, text: sample.text });
  return turns;
}

/** OpenAI restricts `name` to letters, digits, `_` and `-` (up to 64). */
function openaiName(name: string): string {
  return (
    name
      .replace(/[^A-Za-z0-9_-]+/g, '_')
      .replace(/^_+|_+$/g, '')
      .slice(0, 64) || 'user'
  );
}

const SHAREGPT_FROM = { system: 'system', user: 'human', assistant: 'gpt' } as const;

export function renderDataset(format: ExportFormat, samples: TrainingSample[], systemPrompt: string): string {
  if (format === 'openai') {
    return samples
      .map((sample) => {
        const messages = turnsOf(sample, systemPrompt).map((t) =>
          t.name ? { role: t.role, name: openaiName(t.name), content: t.text } : { role: t.role, content: t.text },
        );
        return `${JSON.stringify({ messages })}\n`;
      })
      .join('');
  }
  if (format === 'sharegpt') {
    const conversations = samples.map((sample) => ({
      conversations: turnsOf(sample, systemPrompt).map((t) => ({
        from: SHAREGPT_FROM[t.role],
        value: t.role === 'user' && t.name ? `${t.name}: ${t.text}` : t.text,
      })),
    }));
    return `${JSON.stringify(conversations, null, 1)}\n`;
  }
  return (
    samples.map((sample) => [...sample.context, { speaker: sample.speaker, text: sample.text }].map((t) => `${t.speaker}: ${t.text}`).join('\n')).join('\n\n') +
    (samples.length ? '\n' : '')
  );
}
