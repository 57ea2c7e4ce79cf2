/**
 * GPT-2's byte-level alphabet and pre-tokenizer, exactly as Hugging Face's `ByteLevel`
 * pre-tokenizer defines them, so that the merges we train line up with the pieces the
 * runtime (@huggingface/tokenizers, transformers.js) feeds to the BPE model.
 */

/** GPT-2 `bytes_to_unicode`: every byte maps to a printable character (space → 'Ġ'). */
export const BYTE_TO_CHAR: string[] = (() => {
  const printable: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) printable.push(b);
  for (let b = 0xa1; b <= 0xac; b++) printable.push(b);
  for (let b = 0xae; b <= 0xff; b++) printable.push(b);
  const table = new Array<string>(256);
  let extra = 0;
  for (let b = 0; b < 256; b++) table[b] = String.fromCodePoint(printable.includes(b) ? b : 256 + extra++);
  return table;
})();

/** The `ByteLevel` pre-tokenizer's split pattern (use_regex: true). */
export const GPT2_SPLIT_PATTERN = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;

export function preTokenize(text: string): string[] {
  return text.match(GPT2_SPLIT_PATTERN) ?? [];
}
