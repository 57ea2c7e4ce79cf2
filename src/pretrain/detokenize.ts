/**
 * Rebuilds running text from the Brown corpus's space-separated tokens: joins punctuation
 * to its word, turns `` and '' into straight double quotes, and drops the duplicated
 * sentence-final marks some files carry ("? ?"), so the model sees ordinary English.
 */

const NO_SPACE_BEFORE = new Set([',', '.', ';', ':', '?', '!', ')', ']', '}', "'", "''", "'s", '%']);
const NO_SPACE_AFTER = new Set(['(', '[', '{', '``', '$']);

export function detokenize(tokens: string[]): string {
  let out = '';
  let previous = '';
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i];
    if (token === previous && /^[?!;.]$/.test(token)) continue;
    const text = token === '``' || token === "''" ? '"' : token;
    const glue = out === '' || NO_SPACE_BEFORE.has(token) || NO_SPACE_AFTER.has(previous);
    out += glue ? text : ` ${text}`;
    previous = token;
  }
  return out;
}
