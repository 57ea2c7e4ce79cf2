/**
 * Dataset samples → token ids with a target mask, through the base model's own chat
 * template (src/modelfmt/chat.ts) so that training sees exactly the format inference
 * renders. Conversation samples: the persona's system prompt, the context turns under their
 * speakers' names (earlier persona turns as assistant turns) and the reply as the persona's
 * turn; only the reply and its end-of-turn token are targets. Monologue samples (passages
 * of the persona's own text) are one persona turn whose every token is a target.
 *
 * Segments are tokenized one by one and concatenated (not the whole text at once): that is
 * how generation sees a conversation too — the prompt encoded, then the reply's tokens.
 */
import { neutralizeControlTokens, renderTrainingSegments, type ChatMessage, type TokenizerConfig } from '../../modelfmt/chat.js';
import type { Tokenizer } from '../../modelfmt/tokenizer.js';
import type { TokenizedSample } from './packing.js';

/** The fields of a dataset sample the trainer uses (datasets' TrainingSample has these). */
export interface TrainableSample {
  kind?: 'monologue' | 'conversation';
  context: { speaker: string; text: string; isPersona?: boolean }[];
  /** The persona's words. */
  text: string;
  /** Name the persona speaks under in this sample. */
  speaker: string;
  /** Exemplary samples weigh more (see packing.ts); default 1. */
  weight?: number;
}

export interface RenderContext {
  tokenizer: Tokenizer;
  tokenizerConfig: TokenizerConfig;
  systemPrompt: string;
  /** Path of tokenizer_config.json, for error messages. */
  file?: string;
}

export function sampleMessages(sample: TrainableSample, systemPrompt: string): ChatMessage[] {
  const clean = neutralizeControlTokens;
  if (sample.kind === 'monologue' || sample.context.length === 0) return [{ role: 'assistant', name: clean(sample.speaker), content: clean(sample.text) }];
  const messages: ChatMessage[] = systemPrompt ? [{ role: 'system', content: systemPrompt }] : [];
  for (const turn of sample.context) messages.push({ role: turn.isPersona ? 'assistant' : 'user', name: clean(turn.speaker), content: clean(turn.text) });
  messages.push({ role: 'assistant', name: clean(sample.speaker), content: clean(sample.text) });
  return messages;
}

export function tokenizeSample(sample: TrainableSample, context: RenderContext): TokenizedSample {
  const messages = sampleMessages(sample, context.systemPrompt);
  const monologue = messages.length === 1;
  const reply = messages[messages.length - 1];
  const segments = renderTrainingSegments(context.tokenizerConfig, messages, (m) => m === reply, context.file);
  const ids: number[] = [];
  const targets: number[] = [];
  for (const segment of segments) {
    const segmentIds = context.tokenizer.encode(segment.text);
    ids.push(...segmentIds);
    const target = monologue || segment.train ? 1 : 0;
    for (let i = 0; i < segmentIds.length; i++) targets.push(target);
  }
  return { ids, targets: Uint8Array.from(targets), weight: sample.weight ?? 1, splittable: monologue };
}
