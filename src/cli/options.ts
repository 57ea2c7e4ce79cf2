/**
 * Parsers for numeric flags. Commander calls them while parsing, so a typo such as
 * `--max-steps abc` stops the command before it opens the store or records a job, with
 * commander's message naming the flag: option '--max-steps <n>' argument 'abc' is invalid.
 */
import { InvalidArgumentError } from 'commander';

/** A whole number, at least `min`. */
export function wholeNumber(min = 0): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isInteger(n) || n < min)
      throw new InvalidArgumentError(`Expected a whole number${min > 0 ? ` of at least ${min}` : ''}, not "${value}".`);
    return n;
  };
}

/** A finite number, at least `min` (and above it when `exclusive`). */
export function decimalNumber(min = 0, exclusive = false): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || n < min || (exclusive && n === min)) {
      throw new InvalidArgumentError(`Expected a number ${exclusive ? 'above' : 'of at least'} ${min}, not "${value}".`);
    }
    return n;
  };
}
