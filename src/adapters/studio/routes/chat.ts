/**
 * Chat: a streamed in-character reply (server-sent events: `delta`, then `done` or `error`)
 * from any model version of a persona, or its base; the page asks two versions at once to
 * compare them. 👍/👎 feedback is stored like Discord's. Closing the tab cancels generation.
 * A reply refused because the model is busy answers 503 before any stream starts.
 */
import { Hono } from 'hono';
import { streamSSE, type SSEStreamingApi } from 'hono/streaming';
import { recordFeedback } from '../../../curation/index.js';
import { isPersonaError, PersonaError } from '../../../errors.js';
import { pickGreeting } from '../../../personas/greeting.js';
import { loadPersona } from '../../../personas/load.js';
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

export function chatRoutes({ core }: StudioDeps): Hono {
  const { config, engine, store } = core;
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
    const early: string[] = [];
    let live: SSEStreamingApi | undefined;
    let firstDelta!: () => void;
    const started = new Promise<void>((resolve) => (firstDelta = resolve));
    const send = (text: string) => live!.writeSSE({ event: 'delta', data: JSON.stringify({ text }) });
    const reply = engine.replyAs(persona, body.turns, {
      model: body.model || undefined,
      signal: controller.signal,
      overrides: { seed: body.seed, temperature: body.temperature, max_new_tokens: body.max_new_tokens },
      onDelta: (delta) => {
        if (live) void send(delta.text);
        else early.push(delta.text);
        firstDelta();
      },
    });
    // A busy model fails before its first token: answer 503 (429 when rate-limited) with a sentence, not a 200 stream.
    try {
      await Promise.race([started, reply]);
    } catch (error) {
      if (isPersonaError(error, 'generation_busy') || isPersonaError(error, 'rate_limited')) throw error;
    }
    return streamSSE(c, async (stream) => {
      stream.onAbort(() => controller.abort());
      live = stream;
      for (const text of early.splice(0)) await send(text);
      try {
        const done = await reply;
        await stream.writeSSE({
          event: 'done',
          data: JSON.stringify({ text: done.text, model: done.model.version, stoppedBy: done.stoppedBy, tokens: done.tokens.length }),
        });
      } catch (error) {
        const message = isPersonaError(error) ? error.message : 'The reply failed; the details are in the server log.';
        await stream.writeSSE({ event: 'error', data: JSON.stringify({ error: message, code: isPersonaError(error) ? error.code : undefined }) });
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
    await recordFeedback(store, {
      persona: persona.id,
      platform: 'studio',
      channelId: 'studio',
      messageId: String(body.messageId),
      userId: 'studio',
      rating: body.rating,
      reply: body.reply,
      context: context.map((t) => ({ role: t.speaker === persona.name ? 'assistant' : 'user', name: t.speaker, text: t.text })),
      at: Date.now(),
      added: body.added !== false,
    });
    return c.json({ recorded: true });
  });

  return app;
}
