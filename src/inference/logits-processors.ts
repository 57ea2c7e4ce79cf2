/**
 * Logits processors with Hugging Face names and semantics (transformers' logits_process.py),
 * each a small function that edits the last position's logits in place. `buildLogitsProcessors`
 * assembles them in HF's order: penalties and bans first, then (only when sampling) the
 * warpers temperature → top_k → top_p → min_p. Two penalties go beyond HF, because a small
 * persona model loops ("…the United States and the United States…", docs/benchmarks.md):
 * a repetition penalty over only the last `repetition_penalty_window` tokens (llama.cpp's
 * repeat_last_n: a whole-prompt penalty also punishes the persona's own common words), and
 * DRY (text-generation-webui / llama.cpp's "don't repeat yourself"), which penalizes the token
 * that would extend a repeat of an earlier sequence, more the longer the repeat. A processor whose setting is a no-op is left
 * out, as HF does, so greedy decoding with defaults costs nothing per token.
 *
 * Hand-written rather than taken from transformers.js because its processors work on its own
 * Tensor class and allocate per call; these work on the Float32Array that ONNX Runtime returns.
 */
import type { GenerationParams } from './generation-params.js';

/** `ids` is the whole sequence so far (prompt + generated), as in HF's `input_ids`. */
export type LogitsProcessor = (logits: Float32Array, ids: readonly number[]) => void;

/** HF's repetition penalty; with `window` > 0 only the last `window` tokens count. */
export function repetitionPenalty(penalty: number, window = 0): LogitsProcessor {
  return (logits, ids) => {
    const recent = window > 0 && ids.length > window ? ids.slice(ids.length - window) : ids;
    for (const id of new Set(recent)) logits[id] = logits[id] < 0 ? logits[id] * penalty : logits[id] / penalty;
  };
}

export interface DryOptions {
  multiplier: number;
  base: number;
  /** Repeats up to this many tokens long are free (common phrases). */
  allowedLength: number;
  /** How far back repeats are looked for. */
  range: number;
}

/**
 * DRY: for every earlier occurrence of the last token, the length n of the repeat that ends
 * there (matching backwards) makes the token that followed it cost
 * multiplier · base^(n − allowedLength) logits when n ≥ allowedLength. O(range · n) per step.
 */
export function dry({ multiplier, base, allowedLength, range }: DryOptions): LogitsProcessor {
  return (logits, ids) => {
    const end = ids.length - 1;
    if (end < 1) return;
    const start = Math.max(0, ids.length - range);
    const last = ids[end];
    const penalties = new Map<number, number>();
    for (let i = end - 1; i >= start; i--) {
      if (ids[i] !== last) continue;
      let n = 1;
      while (i - n >= start && ids[i - n] === ids[end - n] && n < end - i) n++;
      if (n < allowedLength) continue;
      const next = ids[i + 1];
      penalties.set(next, Math.max(penalties.get(next) ?? 0, n));
    }
    for (const [token, n] of penalties) logits[token] -= multiplier * base ** (n - allowedLength);
  };
}

/** Bans every token that would repeat an n-gram already present in `ids`. */
export function noRepeatNgram(n: number): LogitsProcessor {
  return (logits, ids) => {
    if (ids.length + 1 < n) return;
    const prefix = ids.slice(ids.length - n + 1);
    for (let start = 0; start + n <= ids.length; start++) {
      let same = true;
      for (let i = 0; i < n - 1 && same; i++) same = ids[start + i] === prefix[i];
      if (same) logits[ids[start + n - 1]] = -Infinity;
    }
  };
}

/** HF NoBadWordsLogitsProcessor: single tokens always banned; longer sequences ban their last token when the rest was just generated. */
export function badWords(sequences: readonly (readonly number[])[]): LogitsProcessor {
  return (logits, ids) => {
    for (const seq of sequences) {
      const head = seq.length - 1;
      let matches = ids.length >= head;
      for (let i = 0; i < head && matches; i++) matches = ids[ids.length - head + i] === seq[i];
      if (matches) logits[seq[head]] = -Infinity;
    }
  };
}

export function temperature(t: number): LogitsProcessor {
  const inv = 1 / t;
  return (logits) => {
    for (let i = 0; i < logits.length; i++) logits[i] *= inv;
  };
}

/** Keeps the k highest logits (ties with the k-th are kept, as HF's `scores < topk[-1]` does). */
export function topK(k: number): LogitsProcessor {
  return (logits) => {
    if (k >= logits.length) return;
    const threshold = kthLargest(logits, k);
    for (let i = 0; i < logits.length; i++) if (logits[i] < threshold) logits[i] = -Infinity;
  };
}

/** Keeps the smallest set of most likely tokens whose probability sums to at least p. */
export function topP(p: number): LogitsProcessor {
  return (logits) => {
    const order = finiteIndices(logits).sort((a, b) => logits[b] - logits[a]);
    const probs = softmaxOf(logits, order);
    let cumulative = 0;
    let keep = 0;
    while (keep < order.length && (keep === 0 || cumulative < p)) cumulative += probs[keep++];
    for (let i = keep; i < order.length; i++) logits[order[i]] = -Infinity;
  };
}

/** Removes tokens whose probability is below min_p × the top token's probability. */
export function minP(m: number): LogitsProcessor {
  return (logits) => {
    let max = -Infinity;
    for (const v of logits) if (v > max) max = v;
    // p_i / p_max = exp(l_i - l_max), so the threshold is a logit offset: no softmax needed.
    const cutoff = max + Math.log(m);
    for (let i = 0; i < logits.length; i++) if (logits[i] < cutoff) logits[i] = -Infinity;
  };
}

export function buildLogitsProcessors(params: GenerationParams): LogitsProcessor[] {
  const list: LogitsProcessor[] = [];
  if (params.repetition_penalty !== 1) list.push(repetitionPenalty(params.repetition_penalty, params.repetition_penalty_window));
  if (params.dry_multiplier > 0)
    list.push(dry({ multiplier: params.dry_multiplier, base: params.dry_base, allowedLength: params.dry_allowed_length, range: params.dry_range }));
  if (params.no_repeat_ngram_size > 0) list.push(noRepeatNgram(params.no_repeat_ngram_size));
  if (params.bad_words_ids.length > 0) list.push(badWords(params.bad_words_ids));
  if (params.temperature === 0) return list; // greedy: warpers do not change the argmax
  if (params.temperature !== 1) list.push(temperature(params.temperature));
  if (params.top_k > 0) list.push(topK(params.top_k));
  if (params.top_p < 1) list.push(topP(params.top_p));
  if (params.min_p > 0) list.push(minP(params.min_p));
  return list;
}

function finiteIndices(logits: Float32Array): number[] {
  const out: number[] = [];
  for (let i = 0; i < logits.length; i++) if (logits[i] !== -Infinity) out.push(i);
  return out;
}

function softmaxOf(logits: Float32Array, order: number[]): Float64Array {
  const probs = new Float64Array(order.length);
  if (order.length === 0) return probs;
  const max = logits[order[0]];
  let sum = 0;
  for (let i = 0; i < order.length; i++) sum += probs[i] = Math.exp(logits[order[i]] - max);
  for (let i = 0; i < order.length; i++) probs[i] /= sum;
  return probs;
}

/** k-th largest value by a bounded min-heap: O(V log k), no full sort of a 50k vocabulary. */
function kthLargest(values: Float32Array, k: number): number {
  const heap = new Float64Array(k);
  let size = 0;
  const siftDown = (i: number) => {
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < size && heap[l] < heap[m]) m = l;
      if (r < size && heap[r] < heap[m]) m = r;
      if (m === i) return;
      [heap[i], heap[m]] = [heap[m], heap[i]];
      i = m;
    }
  };
  for (const v of values) {
    if (size < k) {
      let i = size++;
      heap[i] = v;
      while (i > 0 && heap[(i - 1) >> 1] > heap[i]) {
        const parent = (i - 1) >> 1;
        [heap[i], heap[parent]] = [heap[parent], heap[i]];
        i = parent;
      }
    } else if (v > heap[0]) {
      heap[0] = v;
      siftDown(0);
    }
  }
  return heap[0];
}
