/**
 * Stable error codes. Users see `message` (one sentence naming what is wrong and where);
 * logs see `code` and `details`. Add a code here rather than throwing bare Errors across
 * module boundaries, so that the CLI, bots and studio can all react to it the same way.
 */
export const ERROR_CODES = [
  'config_invalid',
  'persona_not_found',
  'persona_invalid',
  'input_not_found',
  'input_unsupported',
  'input_malformed',
  'store_unavailable',
  'sample_not_found',
  'decision_conflict',
  'dataset_empty',
  'model_not_found',
  'model_corrupt',
  'model_unsupported',
  'tokenizer_mismatch',
  'template_error',
  'training_diverged',
  'training_locked',
  'training_interrupted',
  'training_memory',
  'generation_busy',
  'generation_aborted',
  /** No generator worker took a reply in time, or its worker was lost mid-reply (scale-out). */
  'generation_unavailable',
  'invalid_argument',
  'rate_limited',
  'forbidden',
  'hub_access_denied',
  'hub_unreachable',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export class PersonaError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, details: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PersonaError';
    this.code = code;
    this.details = details;
  }
}

export function isPersonaError(error: unknown, code?: ErrorCode): error is PersonaError {
  return error instanceof PersonaError && (code === undefined || error.code === code);
}
