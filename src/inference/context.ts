/**
 * Builds the prompt for a reply: the persona's system prompt plus the recent conversation
 * (speaker-named turns) rendered with the model's chat template, fitted to the context window
 * minus the room reserved for the reply. The oldest turns go first; the system prompt is never
 * dropped; when even the newest turn alone is too long it is truncated (its end is kept, the
 * part a reply answers) rather than dropping everything.
 */
import { PersonaError } from '../errors.js';
import { neutralizeControlTokens, renderChat, type ChatMessage, type TokenizerConfig } from '../modelfmt/chat.js';
import type { Tokenizer } from '../modelfmt/tokenizer.js';

export interface Turn {
  speaker: string;
  text: string;
}

export interface PersonaVoice {
  name: string;
  system_prompt: string;
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

const namesShown = new WeakMap<TokenizerConfig, boolean>();

/**
 * Whether the chat template renders a message's `name` (ours does; ChatML/SmolLM2/Llama 3
 * templates of downloaded models do not). Without it, speakers would be lost in a group chat.
 */
function templateShowsNames(config: TokenizerConfig): boolean {
  let shows = namesShown.get(config);
  if (shows === undefined) {
    const probe = 'Zqx Speaker';
    shows = renderChat(config, [{ role: 'user', name: probe, content: 'hi' }], { addGenerationPrompt: false }).includes(probe);
    namesShown.set(config, shows);
  }
  return shows;
}

function toMessages(persona: PersonaVoice, turns: Turn[], showsNames: boolean): ChatMessage[] {
  const messages: ChatMessage[] = persona.system_prompt ? [{ role: 'system', content: persona.system_prompt }] : [];
  for (const turn of turns) {
    const own = isPersonaSpeaker(persona, turn.speaker);
    const speaker = neutralizeControlTokens(turn.speaker);
    const text = neutralizeControlTokens(turn.text);
    // A template that drops names gets "Alice: text" in the content, so who said what survives.
    const content = own || showsNames ? text : `${speaker}: ${text}`;
    messages.push({ role: own ? 'assistant' : 'user', name: own ? persona.name : speaker, content });
  }
  return messages;
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
  const showsNames = templateShowsNames(model.tokenizerConfig);
  const encode = (kept: Turn[]) =>
    model.tokenizer.encode(renderChat(model.tokenizerConfig, toMessages(persona, kept, showsNames), { addGenerationPrompt: true, generationName: persona.name }));
  const otherSpeakers = [...new Set(turns.filter((t) => !isPersonaSpeaker(persona, t.speaker)).map((t) => t.speaker.trim()))];

  // Largest suffix of turns that fits (token count grows with every turn kept: binary search).
  let low = 0;
  let high = turns.length;
  let best: number[] | undefined;
  while (low < high) {
    const mid = Math.ceil((low + high) / 2);
    const ids = encode(turns.slice(turns.length - mid));
    if (ids.length <= budget) {
      low = mid;
      best = ids;
    } else high = mid - 1;
  }
  if (best && low > 0) return { ids: best, turnsKept: low, truncated: false, otherSpeakers };
  return truncatedNewest(turns[turns.length - 1], encode, budget, otherSpeakers);
}

/** Keeps as much of the newest turn's end as fits; fails only if the system prompt alone is too long. */
function truncatedNewest(turn: Turn, encode: (kept: Turn[]) => number[], budget: number, otherSpeakers: string[]): Prompt {
  const withTail = (chars: number) => encode([{ speaker: turn.speaker, text: ELLIPSIS + turn.text.slice(turn.text.length - chars) }]);
  if (withTail(0).length > budget) {
    throw new PersonaError('invalid_argument', `The persona's system_prompt alone does not fit the model's context window (${budget} tokens after reserving the reply); shorten it.`, {
      field: 'system_prompt',
    });
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
