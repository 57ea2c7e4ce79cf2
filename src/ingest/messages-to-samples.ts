/**
 * From messages to samples. Consecutive messages of one speaker within the merge gap become
 * one turn, each text once (a double-sent message is a repeat, counted, not merged twice); each turn of the persona's voices becomes a target with up to `context_turns`
 * earlier turns as context, stopping at a long silence. Monologue passages become
 * paragraph-sized style samples. Every text is cleaned (and redacted) exactly once.
 */
import type { Persona } from '../personas/schema.js';
import { cleanRules, cleanSpeaker, cleanText, type CleanRules } from './clean.js';
import { dedupeKey, sampleId } from './dedupe.js';
import type { NameMaps } from './markup.js';
import { bump } from './redact.js';
import { splitPassage } from './passage-split.js';
import type { CleanResult, ContextTurn, Message, SampleDraft, SampleKind, SampleSource } from './types.js';

export interface BuildStats {
  /** Candidate targets refused by cleaning, by reason. */
  dropped: Record<string, number>;
  /** Redactions applied, counting every cleaned message once. */
  redactions: Record<string, number>;
  /** Repeated posts folded away: a message whose text its turn already holds (a double send). */
  repeated?: number;
}

export interface BuildOptions {
  /** Whose words are targets instead of the persona's voices (`--speaker NAME`). */
  speaker?: string;
  /** Compiled cleaning rules (default: the persona's, without mention names). */
  rules?: CleanRules;
  /** Filled in with drop and redaction counts. */
  stats?: BuildStats;
}

interface Turn {
  speaker: string;
  speakerId?: string;
  text: string;
  start?: number;
  end?: number;
  /** Position of the turn's first message. */
  position: string;
  target: boolean;
  persona: boolean;
  /** Normalised texts of the messages merged into this turn, to catch repeats. */
  seen?: Set<string>;
}

const repeatKey = (text: string) => text.trim().replace(/\s+/g, ' ').toLowerCase();

const normaliseName = (name: string) => name.normalize('NFKC').trim().replace(/\s+/g, ' ').toLowerCase();

/** True for messages whose words are the persona's: its voices, or `speaker` when given. */
export function voiceMatcher(persona: Persona, speaker?: string): (message: Message) => boolean {
  const names = new Set((speaker ? [speaker] : [persona.name, ...persona.voices.names]).map(normaliseName));
  const ids = new Set(speaker ? [speaker] : [...persona.voices.discord_ids, ...persona.voices.slack_ids]);
  const seen = new Map<string, boolean>();
  return (message) => {
    if (message.isPersona) return true;
    if (message.isBot) return false;
    if (message.speakerId !== undefined && ids.has(message.speakerId)) return true;
    let known = seen.get(message.speaker);
    if (known === undefined) {
      known = names.has(normaliseName(message.speaker));
      seen.set(message.speaker, known);
    }
    return known;
  };
}

function sameSpeaker(turn: Turn, message: Message): boolean {
  return turn.speakerId !== undefined && message.speakerId !== undefined ? turn.speakerId === message.speakerId : turn.speaker === message.speaker;
}

function mergeTurns(messages: Message[], isVoice: (m: Message) => boolean, mergeGapMs: number, personaName: string, stats?: BuildStats): Turn[] {
  const turns: Turn[] = [];
  for (const message of messages) {
    if (message.text.length === 0) continue;
    const last = turns[turns.length - 1];
    const close = last && (last.end === undefined || message.timestamp === undefined || message.timestamp - last.end <= mergeGapMs);
    if (last && close && sameSpeaker(last, message)) {
      last.seen ??= new Set([repeatKey(last.text)]);
      const key = repeatKey(message.text);
      if (last.seen.has(key)) {
        if (stats) stats.repeated = (stats.repeated ?? 0) + 1;
        if (message.timestamp !== undefined) last.end = message.timestamp;
        continue;
      }
      last.seen.add(key);
      last.text += `\n${message.text}`;
      if (message.timestamp !== undefined) last.end = message.timestamp;
      continue;
    }
    const target = isVoice(message);
    turns.push({
      speaker: message.isPersona ? personaName : message.speaker,
      speakerId: message.speakerId,
      text: message.text,
      start: message.timestamp,
      end: message.timestamp,
      position: message.position,
      target,
      persona: target,
    });
  }
  return turns;
}

function addCounts(into: Record<string, number>, from: Record<string, number>): void {
  for (const kind in from) into[kind] = (into[kind] ?? 0) + from[kind];
}

function makeDraft(
  persona: Persona,
  source: SampleSource,
  kind: SampleKind,
  context: ContextTurn[],
  text: string,
  speaker: string,
  redactions: Record<string, number>,
): SampleDraft {
  const last = context[context.length - 1];
  return {
    id: sampleId(persona.id, source.ref, source.position),
    persona: persona.id,
    kind,
    context,
    text,
    speaker: cleanSpeaker(speaker),
    source,
    dedupeKey: dedupeKey(last ? `${last.text}\n${text}` : text),
    redactions,
  };
}

/**
 * Earlier turns for the target at `index`, oldest first: at most `max`, stopping at a
 * silence longer than `silenceMs` and at a turn that cleaning refuses (blocked, too long).
 */
function contextWindow(
  turns: Turn[],
  index: number,
  max: number,
  silenceMs: number,
  clean: (i: number) => CleanResult,
  redactions: Record<string, number>,
): ContextTurn[] {
  const context: ContextTurn[] = [];
  for (let j = index - 1; j >= 0 && context.length < max; j--) {
    const later = turns[j + 1];
    const earlier = turns[j];
    if (later.start !== undefined && earlier.end !== undefined && later.start - earlier.end > silenceMs) break;
    const cleaned = clean(j);
    if ('dropped' in cleaned) {
      if (cleaned.dropped === 'empty' || cleaned.dropped === 'too_short') continue;
      break;
    }
    addCounts(redactions, cleaned.redactions);
    const speaker = cleanSpeaker(earlier.speaker);
    context.push(earlier.persona ? { speaker, text: cleaned.text, isPersona: true } : { speaker, text: cleaned.text });
  }
  return context.reverse();
}

/** Conversation samples: one per turn of the persona's voices, with its context. */
export function buildSamples(persona: Persona, conversation: Message[], source: Pick<SampleSource, 'type' | 'ref'>, options: BuildOptions = {}): SampleDraft[] {
  const { context_turns, merge_gap_seconds, silence_gap_seconds } = persona.dataset;
  const rules = options.rules ?? cleanRules(persona);
  const stats = options.stats;
  const turns = mergeTurns(conversation, voiceMatcher(persona, options.speaker), merge_gap_seconds * 1000, persona.name, stats);
  const cleaned: CleanResult[] = new Array(turns.length);
  const clean = (i: number): CleanResult => {
    let result = cleaned[i];
    if (result === undefined) {
      result = cleaned[i] = cleanText(turns[i].text, rules);
      if (stats && 'text' in result) addCounts(stats.redactions, result.redactions);
    }
    return result;
  };

  const drafts: SampleDraft[] = [];
  for (let i = 0; i < turns.length; i++) {
    const turn = turns[i];
    if (!turn.target) continue;
    const target = clean(i);
    if ('dropped' in target) {
      if (stats) bump(stats.dropped, target.dropped);
      continue;
    }
    const redactions: Record<string, number> = {};
    addCounts(redactions, target.redactions);
    const context = contextWindow(turns, i, context_turns, silence_gap_seconds * 1000, clean, redactions);
    const sampleSource: SampleSource = { type: source.type, ref: source.ref, position: turn.position };
    if (turn.start !== undefined) sampleSource.timestamp = turn.start;
    drafts.push(makeDraft(persona, sampleSource, context.length ? 'conversation' : 'monologue', context, target.text, turn.speaker, redactions));
  }
  return drafts;
}

/** Monologue samples: each passage cleaned, then split near ~1,000 characters on sentence boundaries. */
export function buildMonologueSamples(
  persona: Persona,
  passages: Message[],
  source: Pick<SampleSource, 'type' | 'ref'>,
  options: BuildOptions = {},
): SampleDraft[] {
  const rules = options.rules ?? cleanRules(persona);
  const wholeRules: CleanRules = { ...rules, minChars: 0, maxChars: Number.POSITIVE_INFINITY };
  const stats = options.stats;
  const drafts: SampleDraft[] = [];
  for (const passage of passages) {
    const cleaned = cleanText(passage.text, wholeRules);
    if ('dropped' in cleaned) {
      if (stats) bump(stats.dropped, cleaned.dropped);
      continue;
    }
    if (stats) addCounts(stats.redactions, cleaned.redactions);
    const speaker = options.speaker ?? (passage.isPersona || !passage.speaker ? persona.name : passage.speaker);
    const parts = splitPassage(cleaned.text);
    parts.forEach((text, k) => {
      const tooShort = text.length < rules.minChars;
      if (tooShort || text.length > rules.maxChars) {
        if (stats) bump(stats.dropped, tooShort ? 'too_short' : 'too_long');
        return;
      }
      const position = parts.length === 1 ? passage.position : `${passage.position}.${k}`;
      const sampleSource: SampleSource = { type: source.type, ref: source.ref, position };
      if (passage.timestamp !== undefined) sampleSource.timestamp = passage.timestamp;
      drafts.push(makeDraft(persona, sampleSource, 'monologue', [], text, speaker, k === 0 ? { ...cleaned.redactions } : {}));
    });
  }
  return drafts;
}

const matchers = new WeakMap<Persona, (message: Message) => boolean>();

/**
 * A live capture (Discord, Slack): the target message of one of the persona's voices with
 * the messages before it, cleaned and redacted. Returns `{ dropped: reason }` when it is
 * not a sample: from a bot, not one of the persona's voices, or refused by cleaning.
 */
export function draftFromChat(
  persona: Persona,
  target: Message,
  context: Message[],
  source: SampleSource,
  names: Partial<NameMaps> = {},
): SampleDraft | { dropped: string } {
  if (target.isBot) return { dropped: 'bot' };
  let isVoice = matchers.get(persona);
  if (!isVoice) matchers.set(persona, (isVoice = voiceMatcher(persona)));
  if (!isVoice(target)) return { dropped: 'not_a_voice' };
  const rules = cleanRules(persona, names);
  const cleaned = cleanText(target.text, rules);
  if ('dropped' in cleaned) return cleaned;

  const { context_turns, merge_gap_seconds, silence_gap_seconds } = persona.dataset;
  const turns = mergeTurns(context, isVoice, merge_gap_seconds * 1000, persona.name);
  turns.push({
    speaker: target.speaker,
    text: target.text,
    start: target.timestamp,
    end: target.timestamp,
    position: target.position,
    target: true,
    persona: true,
  });
  const redactions: Record<string, number> = { ...cleaned.redactions };
  const window = contextWindow(turns, turns.length - 1, context_turns, silence_gap_seconds * 1000, (i) => cleanText(turns[i].text, rules), redactions);
  return makeDraft(persona, source, window.length ? 'conversation' : 'monologue', window, cleaned.text, target.speaker, redactions);
}
