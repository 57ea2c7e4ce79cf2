/** Helpers shared by the format parsers: an empty result and the malformed-input error. */
import { PersonaError } from '../../errors.js';
import type { FormatId, ParsedSource } from '../types.js';

export function emptySource(format: FormatId, sourceType: ParsedSource['sourceType'] = 'file'): ParsedSource {
  return { format, sourceType, conversations: [], passages: [], users: {}, channels: {} };
}

/** Refused input; `reason` is one sentence without the path (parseSource adds it). */
export function inputError(code: 'input_not_found' | 'input_unsupported' | 'input_malformed', reason: string): PersonaError {
  return new PersonaError(code, reason, { reason });
}

/** A file that claims a format but breaks it. */
export function malformed(reason: string): PersonaError {
  return inputError('input_malformed', reason);
}

/** Input over the size limit (a file, or the unpacked JSON of a Slack export). */
export function tooLarge(bytes: number, limit: number): PersonaError {
  return inputError('input_unsupported', `too large (${(bytes / 1e6).toFixed(1)} MB, the limit is ${(limit / 1e6).toFixed(1)} MB)`);
}

/** JSON.parse with a reason a user understands (truncated files are the common case). */
export function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw malformed(`${what} is not valid JSON (truncated or corrupt: ${(error as Error).message})`);
  }
}

/** `h:mm:ss`, `mm:ss`, `hh:mm:ss,mmm` or `mm:ss.mmm` → milliseconds. */
export function clockToMs(clock: string): number {
  const [main, fraction = ''] = clock.split(/[.,]/);
  const parts = main.split(':').map(Number);
  let seconds = 0;
  for (const part of parts) seconds = seconds * 60 + part;
  return seconds * 1000 + (fraction ? Number(fraction.padEnd(3, '0').slice(0, 3)) : 0);
}
