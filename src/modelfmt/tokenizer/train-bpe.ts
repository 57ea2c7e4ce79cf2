/**
 * Byte-level BPE trainer (GPT-2 style) producing a Hugging Face `tokenizer.json`.
 *
 * Hand-written because the npm tokenizer packages (@huggingface/tokenizers,
 * transformers.js) load and encode with a tokenizer.json but cannot train one, and the
 * Rust/Python trainers are not available offline in a Node project.
 *
 * Algorithm: count pre-tokenized words once, then merge over word *types* weighted by
 * frequency. Pair counts are kept incrementally: a merge only revisits the words that
 * contain the merged pair (an index from pair to words) and applies the difference of
 * their pair counts, and the best pair comes from a max-heap with lazy invalidation.
 */
import { BYTE_TO_CHAR, preTokenize } from './byte-level.js';

export interface BpeTrainingOptions {
  /** Total vocabulary including special tokens and the 256 byte tokens. */
  vocabSize: number;
  /** Added first, ids 0..n-1 (e.g. <|endoftext|>, <|im_start|>, <|im_end|>, <|pad|>). */
  specialTokens: string[];
  /** Pairs seen fewer times than this are never merged. */
  minFrequency?: number;
}
export interface TrainedBpe {
  vocab: Map<string, number>;
  merges: [string, string][];
}

/** Packs a pair of symbol ids into one number key (ids stay below 2^21). */
const SHIFT = 2 ** 21;
const pairKey = (a: number, b: number) => a * SHIFT + b;

class MaxHeap {
  private counts: number[] = [];
  private keys: number[] = [];
  get size() {
    return this.counts.length;
  }
  /** Higher count first; ties go to the smaller key so training is deterministic. */
  private above(i: number, j: number) {
    return this.counts[i] > this.counts[j] || (this.counts[i] === this.counts[j] && this.keys[i] < this.keys[j]);
  }
  private swap(i: number, j: number) {
    [this.counts[i], this.counts[j]] = [this.counts[j], this.counts[i]];
    [this.keys[i], this.keys[j]] = [this.keys[j], this.keys[i]];
  }
  push(count: number, key: number) {
    this.counts.push(count);
    this.keys.push(key);
    for (let i = this.counts.length - 1; i > 0; ) {
      const parent = (i - 1) >> 1;
      if (!this.above(i, parent)) break;
      this.swap(i, parent);
      i = parent;
    }
  }
  pop(): { count: number; key: number } {
    const top = { count: this.counts[0], key: this.keys[0] };
    const lastCount = this.counts.pop()!;
    const lastKey = this.keys.pop()!;
    if (this.counts.length > 0) {
      this.counts[0] = lastCount;
      this.keys[0] = lastKey;
      for (let i = 0; ; ) {
        const l = 2 * i + 1;
        const r = l + 1;
        let best = i;
        if (l < this.counts.length && this.above(l, best)) best = l;
        if (r < this.counts.length && this.above(r, best)) best = r;
        if (best === i) break;
        this.swap(i, best);
        i = best;
      }
    }
    return top;
  }
}

/** Counts byte-level words over texts; special tokens are cut out so they are never merged into. */
export function countWords(texts: Iterable<string>, specialTokens: string[]): Map<string, number> {
  const escaped = specialTokens.map((t) => t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  const splitter = escaped.length ? new RegExp(escaped.join('|'), 'g') : null;
  const encoder = new TextEncoder();
  const counts = new Map<string, number>();
  for (const text of texts) {
    for (const part of splitter ? text.split(splitter) : [text]) {
      for (const piece of preTokenize(part)) {
        let word = '';
        for (const byte of encoder.encode(piece)) word += BYTE_TO_CHAR[byte];
        counts.set(word, (counts.get(word) ?? 0) + 1);
      }
    }
  }
  return counts;
}

export function trainBpe(wordCounts: Map<string, number>, options: BpeTrainingOptions): TrainedBpe {
  const minFrequency = options.minFrequency ?? 2;
  // Symbols: 0..255 are bytes (their byte-level character), then merged tokens.
  const symbolText: string[] = [...BYTE_TO_CHAR];
  const symbolByText = new Map(symbolText.map((text, id) => [text, id]));
  const charToByte = new Map(BYTE_TO_CHAR.map((c, b) => [c, b]));
  const words: number[][] = [];
  const freqs: number[] = [];
  for (const [word, count] of wordCounts) {
    words.push([...word].map((c) => charToByte.get(c)!));
    freqs.push(count);
  }

  const pairCounts = new Map<number, number>();
  const pairWords = new Map<number, Set<number>>();
  const heap = new MaxHeap();
  const addPair = (key: number, delta: number, wordIndex: number) => {
    pairCounts.set(key, (pairCounts.get(key) ?? 0) + delta);
    if (delta > 0) {
      let set = pairWords.get(key);
      if (!set) pairWords.set(key, (set = new Set()));
      set.add(wordIndex);
    }
  };
  words.forEach((w, i) => {
    for (let j = 0; j + 1 < w.length; j++) addPair(pairKey(w[j], w[j + 1]), freqs[i], i);
  });
  for (const [key, count] of pairCounts) heap.push(count, key);

  const baseSize = options.specialTokens.length + 256;
  const merges: [string, string][] = [];
  let vocabSize = baseSize;
  while (vocabSize < options.vocabSize && heap.size > 0) {
    const { count, key } = heap.pop();
    const current = pairCounts.get(key) ?? 0;
    if (count !== current) {
      if (current > 0) heap.push(current, key); // stale entry: requeue with the true count
      continue;
    }
    if (current < minFrequency) break;
    const a = Math.floor(key / SHIFT);
    const b = key % SHIFT;
    const text = symbolText[a] + symbolText[b];
    let merged = symbolByText.get(text);
    if (merged === undefined) {
      merged = symbolText.length;
      symbolText.push(text);
      symbolByText.set(text, merged);
      vocabSize++;
    }
    merges.push([symbolText[a], symbolText[b]]);
    const changed = new Set<number>();
    for (const wordIndex of pairWords.get(key) ?? []) {
      const word = words[wordIndex];
      const next = mergeWord(word, a, b, merged);
      if (next.length === word.length) continue;
      const freq = freqs[wordIndex];
      for (let j = 0; j + 1 < word.length; j++) addPair(pairKey(word[j], word[j + 1]), -freq, wordIndex);
      for (let j = 0; j + 1 < next.length; j++) {
        const k = pairKey(next[j], next[j + 1]);
        addPair(k, freq, wordIndex);
        changed.add(k);
      }
      words[wordIndex] = next;
    }
    pairWords.delete(key);
    pairCounts.delete(key);
    for (const k of changed) if ((pairCounts.get(k) ?? 0) > 0) heap.push(pairCounts.get(k)!, k);
  }

  const vocab = new Map<string, number>();
  options.specialTokens.forEach((t, i) => vocab.set(t, i));
  for (const text of symbolText) if (!vocab.has(text)) vocab.set(text, vocab.size);
  return { vocab, merges };
}

/** Replaces every non-overlapping (a, b) left to right, as BPE encoding does. */
function mergeWord(word: number[], a: number, b: number, merged: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < word.length; i++) {
    if (i + 1 < word.length && word[i] === a && word[i + 1] === b) {
      out.push(merged);
      i++;
    } else out.push(word[i]);
  }
  return out;
}
