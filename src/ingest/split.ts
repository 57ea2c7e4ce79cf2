/**
 * Splitting long monologue paragraphs into training-sized passages: near a target length
 * (~1,000 characters), always on a sentence boundary, falling back to word boundaries only
 * for run-on text without sentence punctuation (e.g. automatic captions).
 */

const SENTENCE_BREAK = /(?<=[.!?…]["'”’)\]]*)\s+(?=\S)/;

function splitWords(text: string, size: number): string[] {
  const pieces: string[] = [];
  let rest = text;
  while (rest.length > size * 1.5) {
    let cut = rest.lastIndexOf(' ', size);
    if (cut <= size / 2) cut = rest.indexOf(' ', size);
    if (cut < 0) break;
    pieces.push(rest.slice(0, cut));
    rest = rest.slice(cut + 1);
  }
  pieces.push(rest);
  return pieces;
}

/** Passages of about `target` characters; text up to 1.2 × target stays whole. */
export function splitPassage(text: string, target = 1000): string[] {
  if (text.length <= target * 1.2) return [text];
  const size = text.length / Math.ceil(text.length / target);
  const sentences = text.split(SENTENCE_BREAK).flatMap((s) => (s.length > target * 1.5 ? splitWords(s, target) : [s]));
  const parts: string[] = [];
  let current = '';
  for (const sentence of sentences) {
    if (current && current.length + 1 + sentence.length > size * 1.25) {
      parts.push(current);
      current = '';
    }
    current = current ? `${current} ${sentence}` : sentence;
    if (current.length >= size) {
      parts.push(current);
      current = '';
    }
  }
  if (current) parts.push(current);
  return parts;
}
