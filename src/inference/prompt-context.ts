/**
 * Builds the prompt for a reply with the one prompt renderer training uses too
 * (src/modelfmt/prompt.ts): the persona's system prompt plus the recent conversation, fitted to the context window
 * minus the room reserved for the reply. The oldest turns go first; the system prompt is never
 * dropped; when even the newest turn alone is too long it is truncated (its end is kept, the
 * part a reply answers) rather than dropping everything.
 */
import { PersonaError } from '../errors.js';
import { exampleTurns, systemPromptOf } from '../personas/greeting.js';
import type { TokenizerConfig } from '../modelfmt/chat-render.js';
import { renderPersonaPrompt, type PersonaPromptInput } from '../modelfmt/prompt.js';
import type { Tokenizer } from '../modelfmt/tokenizer.js';

export interface Turn {
  speaker: string;
  text: string;
}

export interface PersonaVoice {
  name: string;
  system_prompt: string;
  /** Character-card example dialogues: few-shot turns before the conversation. */
  example_dialogues?: string;
  /** Other names the persona appears under in transcripts (its own turns). */
  voices?: { names: string[] };
}

export interface PromptModel {
  tokenizer: Pick<Tokenizer, 'encode'>;
  tokenizerConfig: TokenizerConfig;
  contextWindow: number;
}

export interface Prompt {
  ids: number[];
  /** How many of the given turns made it into the prompt (from the end). */
  turnsKept: number;
  /** True when the oldest kept turn had to be cut. */
  truncated: boolean;
  /** Speakers other than the persona: their names at the start of a line end the reply. */
  otherSpeakers: string[];
}

/** A single message longer than this is refused rather than tokenized (it cannot be a chat line). */
export const MAX_TURN_CHARS = 100_000;
/** Fewer prompt tokens than this leaves nothing meaningful to condition on. */
const MIN_PROMPT_TOKENS = 8;
const ELLIPSIS = '…';

export function isPersonaSpeaker(persona: PersonaVoice, speaker: string): boolean {
  const name = speaker.trim().toLowerCase();
  return name === persona.name.toLowerCase() || (persona.voices?.names ?? []).some((n) => n.toLowerCase() === name);
}

function promptInput(persona: PersonaVoice, turns: Turn[]): PersonaPromptInput {
  return {
    systemPrompt: systemPromptOf(persona),
    personaName: persona.name,
    context: turns.map((turn) => ({ speaker: turn.speaker, text: turn.text, own: isPersonaSpeaker(persona, turn.speaker) })),
  };
}

function checkTurns(turns: Turn[]): void {
  if (turns.length === 0 || turns.every((t) => !t.text.trim())) {
    throw new PersonaError('invalid_argument', 'The conversation is empty: give at least one non-empty message to reply to.');
  }
  const huge = turns.find((t) => t.text.length > MAX_TURN_CHARS);
  if (huge) {
    throw new PersonaError('invalid_argument', `A message from ${huge.speaker} is ${huge.text.length} characters; messages may be at most ${MAX_TURN_CHARS}.`, {
      speaker: huge.speaker,
    });
  }
}

export function buildPrompt(model: PromptModel, persona: PersonaVoice, turns: Turn[], maxNewTokens: number): Prompt {
  checkTurns(turns);
  const budget = model.contextWindow - maxNewTokens;
  if (budget < MIN_PROMPT_TOKENS) {
    throw new PersonaError(
      'invalid_argument',
      `max_new_tokens = ${maxNewTokens} leaves no room for the conversation in the model's ${model.contextWindow}-token context; use at most ${model.contextWindow - MIN_PROMPT_TOKENS}.`,
      { field: 'max_new_tokens' },
    );
  }
  const encode = (kept: Turn[]) => model.tokenizer.encode(renderPersonaPrompt(model.tokenizerConfig, promptInput(persona, kept)));
  const otherSpeakers = [...new Set(turns.filter((t) => !isPersonaSpeaker(persona, t.speaker)).map((t) => t.speaker.trim()))];

  // The persona's example dialogues come first, as the oldest turns: few-shot context that is the first to go when room is short.
  const all = [...exampleTurns(persona), ...turns];
  // Largest suffix of turns that fits (token count grows with every turn kept: binary search).
  let low = 0;
  let high = all.length;
  let best: number[] | undefined;
  while (low < high) {
    const mid = Math.ceil((low + high) / 2);
    const ids = encode(all.slice(all.length - mid));
    if (ids.length <= budget) {
      low = mid;
      best = ids;
    } else high = mid - 1;
  }
  if (best && low > 0) return { ids: best, turnsKept: Math.min(low, turns.length), truncated: false, otherSpeakers };
  return truncatedNewest(turns[turns.length - 1], encode, budget, otherSpeakers);
}

/** Keeps as much of the newest turn's end as fits; fails only if the system prompt alone is too long. */
function truncatedNewest(turn: Turn, encode: (kept: Turn[]) => number[], budget: number, otherSpeakers: string[]): Prompt {
  const withTail = (chars: number) => encode([{ speaker: turn.speaker, text: ELLIPSIS + turn.text.slice(turn.text.length - chars) }]);
  if (withTail(0).length > budget) {
    throw new PersonaError(
      'invalid_argument',
      `The persona's system_prompt alone does not fit the model's context window (${budget} tokens after reserving the reply); shorten it.`,
      {
        field: 'system_prompt',
      },
    );
  }
  let low = 0;
  let high = turn.text.length;
  while (low < high) {
    const mid = Math.ceil((low + high) / 2);
    if (withTail(mid).length <= budget) low = mid;
    else high = mid - 1;
  }
  return { ids: withTail(low), turnsKept: 1, truncated: true, otherSpeakers };
}
