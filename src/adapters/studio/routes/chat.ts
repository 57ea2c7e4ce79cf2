/**
 * Chat: a streamed in-character reply (server-sent events: `delta`, then `done` or `error`)
 * from any model version of a persona, or its base; the page asks two versions at once to
 * compare them. Every message goes through the chat pipeline Discord and Slack use (rate
 * limits, the shared reply queue, the conversation window, the reply log): the studio is one
 * more adapter, with user and channel "studio". Its operator-only extras (model version,
 * seed, temperature, length) travel as the message's request options. 👍/👎 is stored like
 * Discord's. Closing the tab cancels generation. A reply refused before it starts answers
 * with a status and a sentence: 429 when rate-limited, 503 when the reply queue is full.
 */
import { Hono } from 'hono';
import { streamSSE, type SSEStreamingApi } from 'hono/streaming';
import { PersonaError } from '../../../errors.js';
import { pickGreeting } from '../../../personas/greeting.js';
import { loadPersona } from '../../../personas/load.js';
import type { Persona } from '../../../personas/schema.js';
import { USER_MESSAGES, type ChatOutcome, type ReplyRequest } from '../../middleware/index.js';
import type { ChatEvent, ReplyChannel, Speaker } from '../../types.js';
import type { StudioDeps } from '../deps.js';

interface ChatBody {
  turns: { speaker: string; text: string }[];
  model?: string;
  seed?: number;
  temperature?: number;
  max_new_tokens?: number;
}

const MAX_TURNS = 100;
/** Longest reply or context turn stored with feedback (a reply is at most a few thousand characters). */
const MAX_FEEDBACK_CHARS = 20_000;
/** The studio's one user and one channel, as the pipeline's rate limits and reply log see them. */
const STUDIO = 'studio';

/** The page's conversation as a chat event: the last turn is the new message, the rest its history. */
function studioEvent(persona: Persona, turns: ChatBody['turns']): ChatEvent {
  const now = Date.now();
  const id = `studio-${now}`;
  const speaker = (name: string): Speaker => ({ id: name === persona.name ? `persona:${persona.id}` : STUDIO, name, isBot: name === persona.name });
  const last = turns[turns.length - 1];
  return {
    platform: 'studio',
    messageId: id,
    channelId: STUDIO,
    author: { id: STUDIO, name: last.speaker, isBot: false },
    text: last.text,
    timestamp: now,
    isDirect: true,
    mentionsBot: true,
    repliesToBot: false,
    personaId: persona.id,
    history: turns.slice(0, -1).map((turn, i) => ({
      speaker: speaker(turn.speaker),
      text: turn.text,
      timestamp: now - (turns.length - i),
      messageId: `${id}-${i}`,
      fromSelf: turn.speaker === persona.name,
    })),
  };
}

/** Operator knobs from the page; absent fields keep the persona file's settings. */
function requestOf(body: ChatBody): ReplyRequest {
  return { model: body.model || undefined, seed: body.seed, temperature: body.temperature, maxNewTokens: body.max_new_tokens };
}

/**
 * The reply rendered as server-sent deltas. Text that arrives before the stream is open is
 * kept and sent first; writes are chained so deltas stay in order.
 */
class StreamedReply implements ReplyChannel {
  /** Resolves with the first text, so the route knows the reply was admitted. */
  readonly started: Promise<void>;
  private markStarted!: () => void;
  private stream: SSEStreamingApi | undefined;
  private pending: string[] = [];
  private sent = '';
  private writes = Promise.resolve();

  constructor() {
    this.started = new Promise((resolve) => (this.markStarted = resolve));
  }

  async typing(): Promise<void> {}

  async update(textSoFar: string): Promise<void> {
    const delta = textSoFar.slice(this.sent.length);
    this.sent = textSoFar;
    this.markStarted();
    if (delta) this.write(delta);
  }

  async finish(): Promise<void> {}

  async fail(): Promise<void> {}

  /** Opens the stream: sends what arrived so far, then every delta as it comes. */
  attach(stream: SSEStreamingApi): Promise<void> {
    this.stream = stream;
    for (const text of this.pending.splice(0)) this.write(text);
    return this.writes;
  }

  /** Waits for the deltas already written, then sends `event`. */
  async end(event: string, data: unknown): Promise<void> {
    await this.writes;
    await this.stream!.writeSSE({ event, data: JSON.stringify(data) });
  }

  private write(text: string): void {
    if (!this.stream) {
      this.pending.push(text);
      return;
    }
    const stream = this.stream;
    this.writes = this.writes.then(() => stream.writeSSE({ event: 'delta', data: JSON.stringify({ text }) })).catch(() => undefined);
  }
}

/** A reply refused before it started, as the error the API answers with (429, 503). */
function refusal(outcome: ChatOutcome): PersonaError | undefined {
  if (outcome.kind === 'rate_limited') {
    const seconds = Math.ceil(outcome.retryAfterMs / 1000);
    const sentence = outcome.scope === 'user' ? USER_MESSAGES.rateLimited(seconds) : USER_MESSAGES.channelRateLimited(seconds);
    return new PersonaError('rate_limited', sentence, { retryAfterSeconds: seconds });
  }
  if (outcome.kind === 'failed' && outcome.code === 'generation_busy') return new PersonaError('generation_busy', USER_MESSAGES.busy);
  return undefined;
}

export function chatRoutes({ data, chat }: StudioDeps): Hono {
  const { config } = data;
  const app = new Hono();

  app.post('/:id', async (c) => {
    const persona = loadPersona(config.PERSONAS_DIR, c.req.param('id'));
    const body = await c.req.json<ChatBody>();
    if (
      !Array.isArray(body.turns) ||
      body.turns.length === 0 ||
      body.turns.length > MAX_TURNS ||
      body.turns.some((t) => typeof t?.text !== 'string' || typeof t?.speaker !== 'string')
    ) {
      throw new PersonaError('invalid_argument', `turns must be 1 to ${MAX_TURNS} objects with "speaker" and "text".`, { field: 'turns' });
    }
    const controller = new AbortController();
    c.req.raw.signal?.addEventListener('abort', () => controller.abort());
    const reply = new StreamedReply();
    const outcome = chat.pipeline.handleChat(studioEvent(persona, body.turns), () => reply, { request: requestOf(body), signal: controller.signal });
    // Refused before its first token (rate limit, full queue): a status and a sentence, not a 200 stream.
    const first = await Promise.race([reply.started.then(() => undefined), outcome]);
    const refused = first && refusal(first);
    if (refused) throw refused;
    return streamSSE(c, async (stream) => {
      stream.onAbort(() => controller.abort());
      await reply.attach(stream);
      const done = await outcome;
      if (done.kind === 'replied') {
        const { model, stoppedBy, tokens } = done.reply;
        await reply.end('done', { text: done.text, model, stoppedBy, tokens });
      } else {
        const error = done.kind === 'failed' && done.error ? done.error : USER_MESSAGES.apology;
        await reply.end('error', { error, code: done.kind === 'failed' ? done.code : done.kind });
      }
    });
  });

  /** What the persona says when a conversation starts (null when its file has no greeting). */
  app.get('/:id/greeting', (c) => {
    const persona = loadPersona(config.PERSONAS_DIR, c.req.param('id'));
    return c.json({ greeting: pickGreeting(persona) ?? null });
  });

  app.post('/:id/feedback', async (c) => {
    const persona = loadPersona(config.PERSONAS_DIR, c.req.param('id'));
    const body = await c.req.json<{ messageId: string; rating: 'up' | 'down'; reply: string; context: { speaker: string; text: string }[]; added?: boolean }>();
    if (body.rating !== 'up' && body.rating !== 'down') throw new PersonaError('invalid_argument', 'rating must be "up" or "down".', { field: 'rating' });
    if (typeof body.reply !== 'string' || body.reply.length > MAX_FEEDBACK_CHARS)
      throw new PersonaError('invalid_argument', `reply must be the reply's text (at most ${MAX_FEEDBACK_CHARS} characters).`, { field: 'reply' });
    const context = body.context ?? [];
    if (
      !Array.isArray(context) ||
      context.length > MAX_TURNS ||
      context.some((t) => typeof t?.speaker !== 'string' || typeof t?.text !== 'string' || t.text.length > MAX_FEEDBACK_CHARS)
    ) {
      throw new PersonaError('invalid_argument', `context must be at most ${MAX_TURNS} objects with "speaker" and "text".`, { field: 'context' });
    }
    if (!chat.feedback) throw new PersonaError('store_unavailable', 'Feedback cannot be stored in this process.');
    await chat.feedback.record({
      personaId: persona.id,
      platform: 'studio',
      channelId: STUDIO,
      messageId: String(body.messageId),
      user: { id: STUDIO, name: STUDIO, isBot: false },
      rating: body.rating,
      reply: body.reply,
      context: context.map((t) => ({ role: t.speaker === persona.name ? 'assistant' : 'user', name: t.speaker, text: t.text })),
      timestamp: Date.now(),
      added: body.added !== false,
    });
    return c.json({ recorded: true });
  });

  return app;
}
