/**
 * Caption fragments (one line of a timestamped transcript, one subtitle cue) joined into
 * sentences and paragraphs. A paragraph ends where a sentence ends and either the
 * paragraph is long enough or the speaker paused; run-on captions without punctuation
 * break at a pause once they are long.
 */
import type { Message } from '../types.js';

export interface Fragment {
  text: string;
  /** Milliseconds from the start of the media. */
  start: number;
  /** End of the fragment when known (subtitles); transcripts only know starts. */
  end?: number;
  position: string;
  /** A `>>` speaker change or similar: always start a new paragraph here. */
  breakBefore?: boolean;
}

const SOUND_TAG = /\[[^\]]{0,40}\]|\((?:music|applause|laughter|laughs|cheering|inaudible|crosstalk)\)|♪[^♪]*♪|♪/gi;
const SPEAKER_CHANGE = /^\s*(?:>>|&gt;&gt;)\s*/;
const SENTENCE_END = /[.!?…]["'”’)\]]*$/;

/** Strips sound annotations (`[Music]`, `(applause)`, `♪`) and a leading dialogue dash. */
export function fragmentText(raw: string): { text: string; breakBefore: boolean } {
  const breakBefore = SPEAKER_CHANGE.test(raw);
  const text = raw
    .replace(SPEAKER_CHANGE, '')
    .replace(SOUND_TAG, ' ')
    .replace(/^\s*-\s+/, '')
    .replace(/\s+/g, ' ')
    .trim();
  return { text, breakBefore };
}

export interface JoinOptions {
  /** A gap longer than this (between the end, or start, of one fragment and the next) is a pause. */
  pauseMs: number;
  /** Sentence-ending paragraphs at least this long are closed. */
  paragraphChars?: number;
}

export function joinFragments(fragments: Fragment[], { pauseMs, paragraphChars = 600 }: JoinOptions): Message[] {
  const passages: Message[] = [];
  let current: Message | undefined;
  let lastEnd = 0;
  for (const fragment of fragments) {
    if (!fragment.text) continue;
    if (current) {
      const pause = fragment.start - lastEnd > pauseMs;
      const sentenceDone = SENTENCE_END.test(current.text);
      const close =
        fragment.breakBefore || (sentenceDone && (pause || current.text.length >= paragraphChars)) || (pause && current.text.length >= paragraphChars * 1.5);
      if (close) {
        passages.push(current);
        current = undefined;
      }
    }
    if (current) current.text += ` ${fragment.text}`;
    else current = { speaker: '', text: fragment.text, timestamp: fragment.start, position: fragment.position };
    lastEnd = fragment.end ?? fragment.start;
  }
  if (current) passages.push(current);
  return passages;
}
