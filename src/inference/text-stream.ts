/**
 * Turns generated token ids into text deltas that never split a UTF-8 character. Byte-level
 * BPE can put one emoji's four bytes into four tokens; decoding such a prefix yields U+FFFD,
 * so a delta is only released once the decoded text no longer ends in a partial character.
 * Uses the prefix/read offsets of Hugging Face's streamers (and text-generation-inference),
 * so each step decodes a few tokens rather than the whole reply.
 */

export interface Detokenizer {
  decode(ids: number[]): string;
}

export class TextStream {
  private readonly ids: number[] = [];
  private prefixOffset = 0;
  private readOffset = 0;
  /** Everything released so far. */
  text = '';

  constructor(private readonly tokenizer: Detokenizer) {}

  /** Adds a token; returns the newly complete text (possibly empty). */
  push(id: number): string {
    this.ids.push(id);
    const prefix = this.decode(this.prefixOffset, this.readOffset);
    const full = this.decode(this.prefixOffset, this.ids.length);
    if (full.length <= prefix.length || full.endsWith('\uFFFD')) return '';
    const delta = full.slice(prefix.length);
    this.prefixOffset = this.readOffset;
    this.readOffset = this.ids.length;
    this.text += delta;
    return delta;
  }

  /** At the end: whatever is left, even a dangling partial character (shown as U+FFFD). */
  flush(): string {
    const prefix = this.decode(this.prefixOffset, this.readOffset);
    const full = this.decode(this.prefixOffset, this.ids.length);
    const delta = full.length > prefix.length ? full.slice(prefix.length) : '';
    this.prefixOffset = this.readOffset = this.ids.length;
    this.text += delta;
    return delta;
  }

  /** The tokenizers library rejects an empty id list; an empty range is simply no text. */
  private decode(from: number, to: number): string {
    return to > from ? this.tokenizer.decode(this.ids.slice(from, to)) : '';
  }
}
