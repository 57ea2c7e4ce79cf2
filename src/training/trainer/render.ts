/**
 * Dataset samples → token ids with a target mask, through the one prompt renderer of the
 * model-format layer (src/modelfmt/prompt.ts), so training sees exactly the prompt serving
 * builds: the persona's system prompt, the context turns, the persona's opened turn. Only the
 * persona's words and the end-of-turn token are training targets; evaluation (`score`) takes
 * the words alone, so a perplexity measures the voice, not the chat format.
 *
 * The three parts (prompt, words, end) are tokenized one by one and concatenated, not the
 * whole text at once: that is how generation sees a conversation too — the prompt encoded,
 * then the reply's tokens.
 */
import { renderPersonaTurn, type PromptTurn } from '../../modelfmt/prompt.js';
import type { TokenizerConfig } from '../../modelfmt/chat-render.js';
import type { Tokenizer } from '../../modelfmt/tokenizer.js';
import type { TokenizedSample } from './packing.js';
import type { SampleTurns } from '../../datasets/types.js';

export interface RenderContext {
  tokenizer: Pick<Tokenizer, 'encode'>;
  tokenizerConfig: TokenizerConfig;
  systemPrompt: string;
  /** The name serving opens the persona's turn with; without it, each sample's speaker. */
  personaName?: string;
  /** Path of tokenizer_config.json, for error messages. */
  file?: string;
}

export interface TokenizeOptions {
  /** Targets are the persona's words only (no end-of-turn): what a perplexity is taken over. */
  score?: boolean;
}

export function promptTurns(sample: SampleTurns): PromptTurn[] {
  if (sample.kind === 'monologue') return [];
  return sample.context.map((turn) => ({ speaker: turn.speaker, text: turn.text, own: turn.isPersona === true }));
}

export function tokenizeSample(sample: SampleTurns, context: RenderContext, options: TokenizeOptions = {}): TokenizedSample {
  const input = { systemPrompt: context.systemPrompt, personaName: context.personaName ?? sample.speaker, context: promptTurns(sample) };
  const turn = renderPersonaTurn(context.tokenizerConfig, input, sample.text, context.file);
  const prompt = context.tokenizer.encode(turn.prompt);
  const words = context.tokenizer.encode(turn.target);
  const end = context.tokenizer.encode(turn.end);
  const targets = new Uint8Array(prompt.length + words.length + end.length);
  targets.fill(1, prompt.length, prompt.length + words.length + (options.score ? 0 : end.length));
  // Monologue windows (each with its own prompt) stream into rows cut anywhere, as in pretraining: rows stay full.
  return { ids: [...prompt, ...words, ...end], targets, weight: sample.weight ?? 1, splittable: sample.kind === 'monologue' };
}
