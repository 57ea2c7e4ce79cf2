/**
 * Samples in-character replies to the persona's held-out conversations (or, for a persona
 * known only from monologues, to an open invitation to speak) with a given model version and
 * scores their style (style.ts) against what the persona really said. Seeded, so the
 * champion and a candidate answer the same prompts with the same randomness.
 */
import type { InferenceEngine } from '../inference/engine.js';
import type { Persona } from '../personas/schema.js';
import type { SampleTurns } from '../datasets/types.js';
import { styleMetrics, type GeneratedReply, type StyleMetrics } from './style.js';

export interface StyleEvalOptions {
  /** 'base' or a version id. */
  model: string;
  /** How many held-out prompts to answer (the first ones, for comparability). */
  prompts?: number;
  maxNewTokens?: number;
  seed?: number;
}

/** A persona known only from monologues (speeches, transcripts) is asked to speak. */
const OPEN_PROMPT = [{ speaker: 'Interviewer', text: 'Please, say a few words to us.' }];

export async function evaluateStyle(
  engine: InferenceEngine,
  persona: Persona,
  samples: readonly SampleTurns[],
  options: StyleEvalOptions,
): Promise<StyleMetrics | undefined> {
  const conversations = samples.filter((s) => s.context.length > 0);
  const count = options.prompts ?? 8;
  const prompts = conversations.length > 0 ? conversations.slice(0, count).map((s) => s.context) : samples.slice(0, count).map(() => OPEN_PROMPT);
  const real = samples.map((s) => s.text);
  if (prompts.length === 0) return undefined;
  const generated: GeneratedReply[] = [];
  for (const [index, context] of prompts.entries()) {
    const reply = await engine.replyAs(persona, context, {
      model: options.model,
      overrides: { max_new_tokens: options.maxNewTokens ?? 60, seed: (options.seed ?? 1234) + index },
    });
    generated.push({ text: reply.text, cutAtOtherSpeaker: reply.stoppedBy === 'stop_string' });
  }
  return styleMetrics(generated, real);
}
