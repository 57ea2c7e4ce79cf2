/** One error handler for the studio API: PersonaErrors become a JSON sentence with a status. */
import type { Context } from 'hono';
import { isPersonaError, type ErrorCode } from '../../errors.js';
import { logger } from '../../log.js';

const STATUS: Partial<Record<ErrorCode, 400 | 403 | 404 | 409 | 413 | 415 | 429 | 503>> = {
  persona_not_found: 404,
  model_not_found: 404,
  sample_not_found: 404,
  input_not_found: 404,
  persona_invalid: 400,
  invalid_argument: 400,
  input_malformed: 400,
  input_unsupported: 415,
  dataset_empty: 409,
  decision_conflict: 409,
  training_locked: 409,
  training_memory: 409,
  generation_busy: 503,
  store_unavailable: 503,
  rate_limited: 429,
  forbidden: 403,
};

export function handleError(error: Error, c: Context): Response {
  if (isPersonaError(error)) return c.json({ error: error.message, code: error.code }, STATUS[error.code] ?? 500);
  logger('studio').error({ err: error.message, stack: error.stack, path: c.req.path }, 'studio request failed');
  return c.json({ error: 'Something went wrong on the server; the details are in its log.' }, 500);
}
