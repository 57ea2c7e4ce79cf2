/**
 * Keeps persona evaluation data out of pretraining even when another source quotes it:
 * the Brown corpus (1961) reprints Eisenhower's 1960 State of the Union (sample cg35), so
 * excluding 1933+ addresses by year alone is not enough. Any document sharing a sentence
 * of eight or more words with a 1933+ address (and not with an earlier one) is dropped.
 * Sentences are compared after lowercasing and reducing punctuation to spaces, so Brown's
 * tokenization differences do not hide a match.
 */
import { LAST_PRETRAINING_SOTU_YEAR, readSotu } from './sotu.js';

const MIN_WORDS = 8;

function sentenceKeys(text: string): string[] {
  const keys: string[] = [];
  for (const sentence of text.split(/(?<=[.!?;:])\s+|\n+/)) {
    const key = sentence
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, ' ')
      .trim();
    if (key.split(' ').length >= MIN_WORDS) keys.push(key);
  }
  return keys;
}

export interface Decontaminator {
  isContaminated(text: string): boolean;
}

export function evaluationDecontaminator(): Decontaminator {
  const early = new Set(readSotu({ toYear: LAST_PRETRAINING_SOTU_YEAR }).flatMap((a) => sentenceKeys(a.text)));
  const reserved = new Set<string>();
  for (const address of readSotu({ fromYear: LAST_PRETRAINING_SOTU_YEAR + 1, toYear: 9999 })) {
    for (const key of sentenceKeys(address.text)) if (!early.has(key)) reserved.add(key);
  }
  return { isContaminated: (text) => sentenceKeys(text).some((key) => reserved.has(key)) };
}
