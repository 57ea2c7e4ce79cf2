/**
 * The conversation a persona answers: the reply chain and recent channel history the
 * adapter collected, minus everything before the channel's `/forget` mark, trimmed from the
 * oldest end to fit the model's context, with the new message last. The persona's own
 * earlier replies become assistant turns; everyone else (other personas included) is a
 * user turn under their display name.
 */
import type { Persona } from '../../personas/schema.js';
import type { ChatEvent, ChatTurn } from '../types.js';
import type { PromptTurn } from './ports.js';

export interface MemoryOptions {
  /** Most history turns kept (default 12). */
  maxTurns?: number;
  /** Character budget for the whole prompt, a stand-in for the model's context (default 3,000). */
  maxChars?: number;
}

export function promptTurns(persona: Persona, event: ChatEvent, memoryStart: number, options: MemoryOptions = {}): PromptTurn[] {
  const maxTurns = options.maxTurns ?? 12;
  const maxChars = options.maxChars ?? 3000;
  const current: PromptTurn = { role: 'user', name: event.author.name, text: event.text.slice(-maxChars) };
  const history = dedupe(event.history)
    .filter((turn) => turn.timestamp >= memoryStart && turn.text.trim() && turn.messageId !== event.messageId)
    .sort((a, b) => a.timestamp - b.timestamp)
    .map((turn) => toPromptTurn(persona, turn));
  const kept: PromptTurn[] = [];
  let used = current.text.length;
  for (const turn of history.reverse()) {
    if (kept.length >= maxTurns || used + turn.text.length > maxChars) break;
    kept.unshift(turn);
    used += turn.text.length;
  }
  return [...kept, current];
}

function toPromptTurn(persona: Persona, turn: ChatTurn): PromptTurn {
  const own = turn.fromSelf === true && turn.speaker.name === persona.name;
  return { role: own ? 'assistant' : 'user', name: turn.speaker.name, text: turn.text };
}

/** The reply chain and the recent history overlap; keep each message once. */
function dedupe(turns: ChatTurn[]): ChatTurn[] {
  const seen = new Set<string>();
  return turns.filter((turn) => {
    if (!turn.messageId) return true;
    if (seen.has(turn.messageId)) return false;
    seen.add(turn.messageId);
    return true;
  });
}
