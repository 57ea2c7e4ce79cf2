/**
 * Long monologue passages (speeches, essays, transcripts of one speaker) are cut into windows
 * of whole sentences before the train/validation split, so that the split holds out a share
 * of the persona's text rather than a share of its samples: FDR's 284 passages would
 * otherwise give one or two validation samples of very different sizes. A window's id is the
 * passage id plus its index, so the same text always gives the same windows and the same
 * split however the dataset grows; a passage that fits one window keeps its own id.
 */
import type { TrainingSample } from './types.js';

/** Words per window: with a system prompt and turn header, a window fits a 256-token row of the bundled tokenizer. */
export const WINDOW_WORDS = 120;

const SENTENCE = /[^.!?…]+(?:[.!?…]+["'”’)\]]*|$)\s*/gu;

const wordCount = (text: string): number => text.match(/\S+/g)?.length ?? 0;

/** Sentences grouped greedily into chunks of at most `maxWords` words (a longer sentence stands alone). */
export function textWindows(text: string, maxWords = WINDOW_WORDS): string[] {
  const windows: string[] = [];
  let current = '';
  let words = 0;
  for (const paragraph of text.split(/\n\s*\n/)) {
    for (const sentence of paragraph.match(SENTENCE) ?? []) {
      const n = wordCount(sentence);
      if (n === 0) continue;
      if (words > 0 && words + n > maxWords) {
        windows.push(current.trim());
        current = '';
        words = 0;
      }
      current += current && !/\s$/.test(current) ? ` ${sentence}` : sentence;
      words += n;
    }
    if (words > 0) current = `${current.trimEnd()}\n\n`;
  }
  if (words > 0) windows.push(current.trim());
  return windows;
}

/** A monologue sample as its windows (ids `<id>#<k>`); other samples unchanged. */
export function windowSample(sample: TrainingSample, maxWords = WINDOW_WORDS): TrainingSample[] {
  if (sample.kind !== 'monologue') return [sample];
  const windows = textWindows(sample.text, maxWords);
  if (windows.length <= 1) return [sample];
  return windows.map((text, k) => ({ ...sample, id: `${sample.id}#${k}`, text }));
}
