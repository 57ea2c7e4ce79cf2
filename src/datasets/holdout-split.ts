/**
 * The train/validation split, decided per sample by hashing its id: the same sample always
 * lands in the same split however the dataset grows, so validation loss stays comparable
 * between training runs and no validation sample ever leaks into training later.
 */
import { createHash } from 'node:crypto';
import type { Split } from './types.js';

/** A number in [0, 1) fixed by the id alone. */
export function splitPoint(id: string): number {
  return createHash('sha256').update(`split\u0000${id}`).digest().readUInt32BE(0) / 2 ** 32;
}

export function splitOf(id: string, validationFraction: number): Split {
  return splitPoint(id) < validationFraction ? 'validation' : 'train';
}
