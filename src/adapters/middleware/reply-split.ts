/**
 * Splits a long reply into platform-sized messages (Discord: 2,000 characters), cutting at
 * the last sentence end that fits, else the last line break, else the last space, and only
 * as a last resort in the middle of a word. The cut for the first chunk depends only on the
 * first `limit` characters, so a streamed reply that grows never moves an earlier cut.
 */

const SENTENCE_END = /[.!?…。！？]["')\]]*\s/g;

export function splitMessage(text: string, limit: number): string[] {
  if (limit < 1) throw new RangeError('limit must be at least 1');
  const chunks: string[] = [];
  let rest = text;
  while (rest.length > limit) {
    const cut = cutPoint(rest, limit);
    const head = rest.slice(0, cut).trimEnd();
    if (head) chunks.push(head);
    rest = rest.slice(cut).trimStart();
  }
  if (rest.trim() || chunks.length === 0) chunks.push(rest.trimEnd());
  return chunks;
}

/** Index (exclusive, ≤ limit, > 0) where the first chunk of `text` ends. */
function cutPoint(text: string, limit: number): number {
  // Look one character past the limit: a sentence end right at the limit is followed by a space.
  const window = text.slice(0, limit + 1);
  let best = -1;
  for (const match of window.matchAll(SENTENCE_END)) {
    const end = match.index + match[0].length - 1; // keep the punctuation, drop the space
    if (end <= limit) best = end;
  }
  if (best > 0) return best;
  const newline = window.lastIndexOf('\n', limit);
  if (newline > 0) return newline;
  const space = window.lastIndexOf(' ', limit);
  if (space > 0) return space;
  return limit;
}
