/**
 * Cleaning one text: Unicode NFKC, platform markup, line endings and invisible characters and mentions, redaction of personal
 * data and secrets, whitespace, then the persona's block list and length limits.
 * Rules are compiled once per persona (`cleanRules`); `cleanText` is the hot path.
 */
import type { Persona } from '../personas/schema.js';
import type { CleanResult } from './types.js';
import { replaceMarkup, type NameMaps } from './markup.js';
import { redact } from './redact.js';
import { MESSY_SPACE, scanText } from './scan.js';

export interface CleanRules extends NameMaps {
  minChars: number;
  maxChars: number;
  /** One case-insensitive regex over all block-list phrases (whole words), or null. */
  block: RegExp | null;
}

const NON_ASCII = /[^\x00-\x7f]/;
/** Zero-width and format characters, C0 controls but tab and line breaks, C1 controls. */
const INVISIBLE = /[\u200b-\u200d\u2060\ufeff\x00-\x08\x0e-\x1f\x7f-\x9f]/g;
const HIDDEN_OR_CR = /[\u200b-\u200d\u2060\ufeff\x00-\x08\x0e-\x1f\x7f-\x9f\r]/;
const EMPTY_COUNTS: Record<string, number> = Object.freeze({}) as Record<string, number>;

const blockCache = new WeakMap<string[], RegExp | null>();

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Whole-word, case-insensitive matcher for the block list (phrases are NFKC-normalised too). */
function compileBlockList(phrases: string[]): RegExp | null {
  const cached = blockCache.get(phrases);
  if (cached !== undefined) return cached;
  const parts = phrases
    .map((p) => p.normalize('NFKC').trim())
    .filter(Boolean)
    .map(escapeRegex);
  const block = parts.length ? new RegExp(`(?<![\\p{L}\\p{N}])(?:${parts.join('|')})(?![\\p{L}\\p{N}])`, 'iu') : null;
  blockCache.set(phrases, block);
  return block;
}

/** The cleaning rules of a persona, with the mention names of one source. */
export function cleanRules(persona: Pick<Persona, 'dataset'>, names: Partial<NameMaps> = {}): CleanRules {
  const { dataset } = persona;
  return {
    minChars: dataset.min_chars,
    maxChars: dataset.max_chars,
    block: compileBlockList(dataset.block_list),
    users: names.users ?? {},
    channels: names.channels ?? {},
  };
}

/**
 * Line endings folded to `\n` and invisible characters removed, before anything reads the
 * text: a zero-width space inside a key or an e-mail would otherwise hide it from the
 * redactor, and removing it afterwards would put the secret back together.
 */
function normalise(text: string): string {
  if (!HIDDEN_OR_CR.test(text)) return text;
  return text.replace(/\r\n?/g, '\n').replace(INVISIBLE, '');
}

function tidyWhitespace(text: string): string {
  return text
    .replace(/[ \t\v\f\u00a0]+/g, ' ')
    .replace(/ ?\n ?/g, '\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

const speakerCache = new Map<string, string>();

/**
 * A speaker's display name as it may appear in a sample: normalised and redacted like a
 * text (people put e-mail addresses and phone numbers in display names), whitespace tidied.
 */
export function cleanSpeaker(name: string): string {
  let out = speakerCache.get(name);
  if (out === undefined) {
    const normal = normalise(NON_ASCII.test(name) ? name.normalize('NFKC') : name);
    out = tidyWhitespace(redact(normal, undefined).text);
    if (speakerCache.size > 10_000) speakerCache.clear();
    speakerCache.set(name, out);
  }
  return out;
}

/**
 * Cleans one text. `redactions` counts what was replaced (email, phone, card, ip, secret,
 * mention); the record is shared and frozen when nothing was, so copy it before mutating.
 */
export function cleanText(text: string, rules: CleanRules): CleanResult {
  const marked = replaceMarkup(NON_ASCII.test(text) ? text.normalize('NFKC') : text, rules, undefined);
  // After markup: a display name put in for a mention can hide invisible characters too.
  const normal = normalise(marked.text);
  const flags = scanText(normal);
  const redacted = redact(normal, marked.counts, flags);
  const out = flags & MESSY_SPACE ? tidyWhitespace(redacted.text) : redacted.text;
  if (out.length === 0) return { dropped: 'empty' };
  if (rules.block && rules.block.test(out)) return { dropped: 'blocked' };
  if (out.length < rules.minChars) return { dropped: 'too_short' };
  if (out.length > rules.maxChars) return { dropped: 'too_long' };
  return { text: out, redactions: redacted.counts ?? EMPTY_COUNTS };
}
