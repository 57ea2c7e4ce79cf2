/**
 * The decode loop: one prefill step over the prompt, then one step per token on the KV cache;
 * logits processors, greedy or seeded sampling, stopping criteria (max_new_tokens, eos, stop
 * strings incl. the other-speaker rule), streamed deltas, and cancellation by AbortSignal.
 *
 * The reply is the generated text with leading/trailing whitespace and anything from a stop
 * string on removed; deltas are released so that their concatenation is exactly that reply
 * (trailing whitespace and possible stop-string prefixes are held back until resolved).
 */
import { PersonaError } from '../errors.js';
import type { GenerationParams } from './generation-params.js';
import { buildLogitsProcessors } from './logits-processors.js';
import type { DecoderSession, KvCache } from './ort.js';
import { argmax, sampleToken } from './sampler.js';
import { freshSeed, mulberry32 } from '../util/random.js';
import type { StopStrings } from './stop-strings.js';
import { TextStream, type Detokenizer } from './text-stream.js';

export type StoppedBy = 'eos' | 'max_new_tokens' | 'stop_string';

export interface GenerationDelta {
  /** Token(s) generated since the previous delta. */
  tokens: number[];
  /** Newly visible reply text; may be empty while a character or a possible stop string is incomplete. */
  text: string;
}

export interface GenerateOptions {
  params: GenerationParams;
  tokenizer: Detokenizer;
  eosTokenIds: readonly number[];
  stopStrings: StopStrings;
  signal?: AbortSignal;
  onDelta?: (delta: GenerationDelta) => void;
  /** false recomputes the whole sequence every step: only to prove the cache changes nothing. */
  useKvCache?: boolean;
}

export interface GenerationResult {
  text: string;
  /** Every generated token id (eos excluded), including any that formed a trimmed stop string. */
  tokens: number[];
  stoppedBy: StoppedBy;
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new PersonaError('generation_aborted', 'Generation was cancelled.', {}, { cause: signal.reason });
}

/** The reply as currently visible: whitespace-trimmed, cut at a stop string. */
function replyView(raw: string, stops: StopStrings): { reply: string; safe: number; stopped: boolean } {
  const body = raw.trimStart();
  const match = stops.find(body);
  if (match) {
    const reply = body.slice(0, match.index).trimEnd();
    return { reply, safe: reply.length, stopped: true };
  }
  const reply = body.trimEnd();
  return { reply, safe: Math.min(stops.safeLength(body), reply.length), stopped: false };
}

export async function generate(session: DecoderSession, promptIds: readonly number[], options: GenerateOptions): Promise<GenerationResult> {
  const { params, signal, onDelta } = options;
  if (promptIds.length === 0) throw new PersonaError('invalid_argument', 'The prompt is empty: there is nothing to reply to.');
  throwIfAborted(signal);
  const processors = buildLogitsProcessors(params);
  const random = mulberry32(params.seed ?? freshSeed());
  const eos = new Set(options.eosTokenIds);
  const stream = new TextStream(options.tokenizer);
  const ids = [...promptIds];
  const generated: number[] = [];
  const useCache = options.useKvCache ?? true;
  let emitted = 0;

  let { logits, cache } = await session.step(promptIds, session.empty);
  for (;;) {
    throwIfAborted(signal);
    for (const process of processors) process(logits, ids);
    // HF's min_new_tokens: no end of turn before the reply has begun (an empty reply is useless).
    if (generated.length < params.min_new_tokens) for (const id of eos) logits[id] = -Infinity;
    const token = params.temperature === 0 ? argmax(logits) : sampleToken(logits, random);
    if (eos.has(token)) return finish('eos');
    ids.push(token);
    generated.push(token);
    stream.push(token);
    const view = replyView(stream.text, options.stopStrings);
    onDelta?.({ tokens: [token], text: view.reply.slice(emitted, view.safe) });
    emitted = Math.max(emitted, view.safe);
    if (view.stopped) return { text: view.reply, tokens: generated, stoppedBy: 'stop_string' };
    if (generated.length >= params.max_new_tokens) return finish('max_new_tokens');
    ({ logits, cache } = useCache ? await session.step([token], cache) : await recompute(session, ids));
  }

  function finish(stoppedBy: StoppedBy): GenerationResult {
    stream.flush();
    const view = replyView(stream.text, options.stopStrings);
    const rest = view.reply.slice(emitted);
    if (rest) onDelta?.({ tokens: [], text: rest });
    return { text: view.reply, tokens: generated, stoppedBy: view.stopped ? 'stop_string' : stoppedBy };
  }
}

async function recompute(session: DecoderSession, ids: readonly number[]): Promise<{ logits: Float32Array; cache: KvCache }> {
  return session.step(ids, session.empty);
}
