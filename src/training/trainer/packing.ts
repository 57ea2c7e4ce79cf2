/**
 * Packing: tokenized samples → fixed-length rows for the step model. Conversation samples
 * stay whole where they fit and share rows (best fit by remaining space); longer ones are
 * split into pieces of seq_len tokens. Monologue passages are poured into the space left and
 * then into new rows, cut anywhere, so rows are nearly full. Every row keeps a per-token
 * target mask: the loss is taken only where the mask is 1 (the persona's own tokens), never
 * on other speakers or padding.
 *
 * Sample weight (exemplary samples) is applied by repetition, not by loss weighting: a
 * sample of weight w appears round(w) times per epoch (at least once; weight ≤ 0 drops it).
 * Repetition needs nothing from the step model, whose labels carry no per-token weight.
 *
 * Packed samples see earlier samples of their row through the causal mask (as in Hugging
 * Face's packing without attention reset); every sample starts with its template's
 * start-of-turn tokens, so the boundary is visible to the model.
 */
import { Rng } from '../../util/random.js';

/** A sample after chat-template rendering and tokenization. */
export interface TokenizedSample {
  ids: number[];
  /** 1 where the token is a training target (the persona's words and its end-of-turn token). */
  targets: Uint8Array;
  weight: number;
  /** Monologue passages: may be cut at any token and continued in another row (see fillWithStream). */
  splittable?: boolean;
}

export interface PackedRow {
  ids: Int32Array;
  /** targets[t] = 1: token t is predicted from tokens 0..t-1 of this row and counts in the loss. */
  targets: Uint8Array;
  /** Tokens in use; the rest is padding. */
  used: number;
}

export interface PackOptions {
  seqLen: number;
  padId: number;
  seed: number;
  /** Ignore weights (validation rows are counted once, so losses compare across datasets). */
  ignoreWeights?: boolean;
}

export function copiesFor(weight: number): number {
  if (!(weight > 0)) return 0;
  return Math.max(1, Math.round(weight));
}

/**
 * Splits a sample longer than seqLen into pieces. Each continuation piece starts with the
 * previous piece's last token, masked off, so every target is predicted exactly once and
 * always with at least one token of context. Pieces without any target are dropped.
 */
export function splitSample(ids: number[], targets: Uint8Array, seqLen: number): { ids: number[]; targets: Uint8Array }[] {
  if (ids.length <= seqLen) return hasTarget(targets) ? [{ ids, targets }] : [];
  const pieces: { ids: number[]; targets: Uint8Array }[] = [];
  for (let start = 0; start < ids.length - 1; start += seqLen - 1) {
    const end = Math.min(ids.length, start + seqLen);
    const pieceTargets = targets.slice(start, end);
    if (start > 0) pieceTargets[0] = 0;
    if (hasTarget(pieceTargets)) pieces.push({ ids: ids.slice(start, end), targets: pieceTargets });
    if (end === ids.length) break;
  }
  return pieces;
}

function hasTarget(targets: Uint8Array): boolean {
  return targets.some((t) => t === 1);
}

/** Packs samples into rows; the same samples and seed give the same rows. */
export function packSamples(samples: readonly TokenizedSample[], options: PackOptions): PackedRow[] {
  const { seqLen } = options;
  const whole: Piece[] = [];
  const streamed: Piece[] = [];
  for (const sample of samples) {
    const copies = options.ignoreWeights ? (sample.weight > 0 ? 1 : 0) : copiesFor(sample.weight);
    const pieces = sample.splittable ? [{ ids: sample.ids, targets: sample.targets }] : splitSample(sample.ids, sample.targets, seqLen);
    for (let c = 0; c < copies; c++) (sample.splittable ? streamed : whole).push(...pieces);
  }
  const rng = new Rng(options.seed);
  const rows: PackedRow[] = [];
  packWhole(rng.shuffle(whole), rows, options);
  fillWithStream(rng.shuffle(streamed), rows, options);
  return rows;
}

type Piece = { ids: number[]; targets: Uint8Array };

function newRow({ seqLen, padId }: PackOptions): PackedRow {
  return { ids: new Int32Array(seqLen).fill(padId), targets: new Uint8Array(seqLen), used: 0 };
}

/** Best fit: each piece goes to the row with the least free space that still holds it. */
function packWhole(pieces: Piece[], rows: PackedRow[], options: PackOptions): void {
  const { seqLen } = options;
  // byRoom[r] holds indices of rows with exactly r free tokens: best fit is the smallest r ≥ length.
  const byRoom: number[][] = Array.from({ length: seqLen + 1 }, () => []);
  for (const piece of pieces) {
    const length = piece.ids.length;
    let room = length;
    while (room <= seqLen && byRoom[room].length === 0) room++;
    const rowIndex = room > seqLen ? rows.push(newRow(options)) - 1 : byRoom[room].shift()!;
    const row = rows[rowIndex];
    row.ids.set(piece.ids, row.used);
    row.targets.set(piece.targets, row.used);
    row.used += length;
    const left = seqLen - row.used;
    if (left > 0) byRoom[left].push(rowIndex);
  }
}

/**
 * Monologue passages may be cut anywhere, as in language-model pretraining: they are
 * concatenated and poured into the free space of the rows, then into new rows. Each
 * continuation starts with the token before the cut, masked off, so every target is
 * predicted once and with context from its own passage.
 */
function fillWithStream(pieces: Piece[], rows: PackedRow[], options: PackOptions): void {
  const ids = pieces.flatMap((piece) => piece.ids);
  const targets = new Uint8Array(ids.length);
  let offset = 0;
  for (const piece of pieces) {
    targets.set(piece.targets, offset);
    offset += piece.ids.length;
  }
  let pos = 0;
  const pour = (row: PackedRow) => {
    const overlap = pos > 0 ? 1 : 0;
    const take = Math.min(options.seqLen - row.used - overlap, ids.length - pos);
    if (take <= 0) return;
    row.ids.set(ids.slice(pos - overlap, pos + take), row.used);
    row.targets.set(targets.subarray(pos, pos + take), row.used + overlap);
    row.used += overlap + take;
    pos += take;
  };
  for (const row of rows) if (pos < ids.length && options.seqLen - row.used >= 2) pour(row);
  while (pos < ids.length) pour(rows[rows.push(newRow(options)) - 1]);
}

/** Number of target tokens in rows (what the loss is averaged over). */
export function countTargets(rows: readonly PackedRow[]): number {
  let total = 0;
  for (const row of rows) for (let t = 0; t < row.used; t++) total += row.targets[t];
  return total;
}
