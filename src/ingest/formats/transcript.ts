/**
 * Timestamped transcripts as exported from video sites: one caption fragment per line
 * (`0:04 text`, `1:02:03 text`), or a timestamp line followed by its text line.
 */
import type { ParsedSource } from '../types.js';
import { clockToMs, emptySource } from './common.js';
import { fragmentText, joinFragments, type Fragment } from './fragments.js';

/** A line starting with a clock: `0:04`, `[01:02:03]`, `(12:30.5)`; group 2 is the text, if any. */
export const TIMESTAMP_LINE = /^\s*[[(]?(\d{1,2}(?::\d{2}){1,2}(?:[.,]\d{1,3})?)[\])]?(?:\s*[-–—|]?\s+(\S.*))?\s*$/;

/** Start gaps in a transcript include speaking time, so a pause is a long gap. */
const TRANSCRIPT_PAUSE_MS = 8000;

export function parseTranscript(text: string): ParsedSource {
  const fragments: Fragment[] = [];
  let pending: Fragment | undefined; // a timestamp line waiting for its text line
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const match = TIMESTAMP_LINE.exec(line);
    if (match) {
      const { text: body, breakBefore } = fragmentText(match[2] ?? '');
      pending = { text: body, start: clockToMs(match[1]), position: `L${i + 1}`, breakBefore };
      fragments.push(pending);
    } else if (line.trim() && pending) {
      // The text of a timestamp-only line, or a wrapped continuation.
      const { text: body, breakBefore } = fragmentText(line);
      pending.text = pending.text ? `${pending.text} ${body}` : body;
      pending.breakBefore ||= breakBefore;
    }
  }
  const source = emptySource('transcript');
  source.passages = joinFragments(fragments, { pauseMs: TRANSCRIPT_PAUSE_MS });
  return source;
}
