/**
 * Packed rows → the step model's TokenBatch. Labels follow Hugging Face's convention (the
 * model shifts them: position t predicts labels[t + 1]), so labels[t] is the token itself
 * where it is a target and -100 elsewhere. A batch that runs out of rows (the end of an
 * epoch, or fewer rows than the batch size) is filled with padding rows that carry no loss:
 * the training graph has a fixed batch size.
 */
import type { TokenBatch } from '../step-model.js';
import type { PackedRow } from './packing.js';

export const IGNORE_INDEX = -100n;

export function rowsToBatch(rows: readonly PackedRow[], batchSize: number, seqLen: number, padId: number): TokenBatch {
  const inputIds = new BigInt64Array(batchSize * seqLen).fill(BigInt(padId));
  const labels = new BigInt64Array(batchSize * seqLen).fill(IGNORE_INDEX);
  rows.forEach((row, b) => {
    const base = b * seqLen;
    for (let t = 0; t < row.used; t++) {
      const id = BigInt(row.ids[t]);
      inputIds[base + t] = id;
      // Position 0 has no context to predict from, so it is never a target.
      if (t > 0 && row.targets[t] === 1) labels[base + t] = id;
    }
  });
  return { inputIds, labels, batchSize, seqLen };
}
