/**
 * Generation settings with Hugging Face names, merged from (lowest to highest priority)
 * built-in defaults, the model's generation_config.json, the persona file's `sampling:` and
 * per-call overrides. Every value is range-checked here, once, so a bad value fails with
 * the field name and its valid range before any model work starts.
 */
import { PersonaError } from '../errors.js';

export interface GenerationParams {
  max_new_tokens: number;
  /** End-of-turn tokens are banned until this many tokens are generated (HF semantics): no empty replies. */
  min_new_tokens: number;
  /** 0 means greedy decoding (HF's do_sample=False). */
  temperature: number;
  top_k: number;
  top_p: number;
  min_p: number;
  repetition_penalty: number;
  /** Only the last this many tokens are penalized (0 = the whole sequence, as HF). */
  repetition_penalty_window: number;
  no_repeat_ngram_size: number;
  /** DRY penalty (0 = off): see logits-processors.ts. */
  dry_multiplier: number;
  dry_base: number;
  dry_allowed_length: number;
  dry_range: number;
  bad_words_ids: number[][];
  /** Extra stop strings (the other-speaker rule is added by the caller that knows the speakers). */
  stop: string[];
  /** Seed for reproducible sampling; undefined = a fresh random seed per call. */
  seed?: number;
}

export const DEFAULT_GENERATION_PARAMS: GenerationParams = {
  max_new_tokens: 120,
  min_new_tokens: 1,
  temperature: 0.8,
  top_k: 40,
  top_p: 0.95,
  min_p: 0,
  repetition_penalty: 1.1,
  repetition_penalty_window: 0,
  no_repeat_ngram_size: 0,
  dry_multiplier: 0,
  dry_base: 1.75,
  dry_allowed_length: 2,
  dry_range: 512,
  bad_words_ids: [],
  stop: [],
};

/** Upper bound on max_new_tokens: a reply, not a novel; also bounds the decode loop. */
export const MAX_NEW_TOKENS_LIMIT = 4096;

interface Range {
  min: number;
  max: number;
  /** The lower bound itself is not allowed (e.g. top_p > 0). */
  exclusiveMin?: boolean;
  integer?: boolean;
}

const RANGES: Record<string, Range> = {
  max_new_tokens: { min: 1, max: MAX_NEW_TOKENS_LIMIT, integer: true },
  min_new_tokens: { min: 0, max: MAX_NEW_TOKENS_LIMIT, integer: true },
  temperature: { min: 0, max: 5 },
  top_k: { min: 0, max: 1_000_000, integer: true },
  top_p: { min: 0, max: 1, exclusiveMin: true },
  min_p: { min: 0, max: 1 },
  repetition_penalty: { min: 0, max: 10, exclusiveMin: true },
  repetition_penalty_window: { min: 0, max: 1_000_000, integer: true },
  no_repeat_ngram_size: { min: 0, max: 64, integer: true },
  dry_multiplier: { min: 0, max: 100 },
  dry_base: { min: 1, max: 10 },
  dry_allowed_length: { min: 1, max: 64, integer: true },
  dry_range: { min: 1, max: 1_000_000, integer: true },
};

function describe(range: Range): string {
  const low = range.exclusiveMin ? `greater than ${range.min}` : `at least ${range.min}`;
  return `${range.integer ? 'an integer ' : 'a number '}${low} and at most ${range.max}`;
}

/** Throws invalid_argument naming the first out-of-range field and its valid range. */
export function checkGenerationParams(params: GenerationParams, source = 'sampling settings'): GenerationParams {
  for (const [field, range] of Object.entries(RANGES)) {
    const value = params[field as keyof GenerationParams] as number;
    const bad =
      typeof value !== 'number' ||
      !Number.isFinite(value) ||
      (range.integer && !Number.isInteger(value)) ||
      value > range.max ||
      (range.exclusiveMin ? value <= range.min : value < range.min);
    if (bad) {
      throw new PersonaError('invalid_argument', `${source}: ${field} = ${String(value)} is out of range; it must be ${describe(range)}.`, { field, value });
    }
  }
  if (params.seed !== undefined && !Number.isSafeInteger(params.seed)) {
    throw new PersonaError('invalid_argument', `${source}: seed = ${params.seed} must be an integer.`, { field: 'seed' });
  }
  return params;
}

/** Picks the fields we use from generation_config.json (HF writes many others). */
export function fromGenerationConfig(json: Record<string, unknown>): Partial<GenerationParams> {
  const out: Partial<GenerationParams> = {};
  for (const key of ['max_new_tokens', 'min_new_tokens', 'temperature', 'top_k', 'top_p', 'min_p', 'repetition_penalty', 'no_repeat_ngram_size'] as const) {
    if (typeof json[key] === 'number') out[key] = json[key] as number;
  }
  if (json.do_sample === false) out.temperature = 0;
  if (Array.isArray(json.bad_words_ids)) out.bad_words_ids = json.bad_words_ids as number[][];
  return out;
}

/** Later layers win; undefined fields do not erase earlier ones. */
export function mergeGenerationParams(...layers: (Partial<GenerationParams> | undefined)[]): GenerationParams {
  const merged: GenerationParams = { ...DEFAULT_GENERATION_PARAMS };
  for (const layer of layers) {
    for (const [key, value] of Object.entries(layer ?? {})) if (value !== undefined) (merged as unknown as Record<string, unknown>)[key] = value;
  }
  return merged;
}
