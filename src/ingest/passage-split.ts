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

/**
 * Passages of about `target` characters; text up to 1.2 × target stays whole. Cuts go to
 * the sentence boundary nearest each multiple of the part size, so parts come out even.
 */
export function splitPassage(text: string, target = 1000): string[] {
  if (text.length <= target * 1.2) return [text];
  const size = text.length / Math.ceil(text.length / target);
  const sentences = text.split(SENTENCE_BREAK).flatMap((s) => (s.length > target * 1.5 ? splitWords(s, target) : [s]));
  const parts: string[] = [];
  let current = '';
  let offset = 0; // characters in `parts` and `current`, counting one space between sentences
  for (const sentence of sentences) {
    const boundary = (parts.length + 1) * size;
    const end = offset + (current ? 1 : 0) + sentence.length;
    if (current && end >= boundary && boundary - offset < end - boundary) {
      parts.push(current); // the boundary is nearer before this sentence than after it
      current = sentence;
    } else {
      current = current ? `${current} ${sentence}` : sentence;
      if (end >= boundary) {
        parts.push(current);
        current = '';
      }
    }
    offset = end;
  }
  if (current) parts.push(current);
  return parts;
}
