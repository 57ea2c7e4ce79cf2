/**
 * Duplicate detection keys and stable sample ids. Near-duplicates ("Hello, world!!" and
 * "hello world") share a key because the key hashes the case-folded words only.
 */
import { createHash } from 'node:crypto';

const NON_WORD = /[^\p{L}\p{N}]+/gu;
const NON_ASCII = /[^\x00-\x7f]/;

/** Normalised content hash: case-folded, punctuation and whitespace squeezed (32 hex digits). */
export function dedupeKey(text: string): string {
  const folded = (NON_ASCII.test(text) ? text.normalize('NFKC') : text).toLowerCase();
  let words = folded.replace(NON_WORD, ' ').trim();
  if (words.length === 0) words = folded.trim(); // emoji-only or punctuation-only texts
  return createHash('sha256').update(words).digest('hex').slice(0, 32);
}

/** Stable sample id: the same persona, source and position always give the same id. */
export function sampleId(persona: string, ref: string, position: string): string {
  return createHash('sha256').update(`${persona}\u0000${ref}\u0000${position}`).digest('hex').slice(0, 32);
}
