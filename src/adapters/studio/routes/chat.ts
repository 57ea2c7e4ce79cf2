/**
 * Chat: a streamed in-character reply (server-sent events: `delta`, then `done` or `error`)
 * from any model version of a persona, or its base; the page asks two versions at once to
 * compare them. 👍/👎 feedback is stored like Discord's. Closing the tab cancels generation.
 */
import { Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
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

export function chatRoutes({ core }: StudioDeps): Hono {
  const { config, engine, store } = core;
  const app = new Hono();

  app.post('/:id', async (c) => {
    const persona = loadPersona(config.PERSONAS_DIR, c.req.param('id'));
    const body = await c.req.json<ChatBody>();
    if (!Array.isArray(body.turns) || body.turns.length === 0 || body.turns.length > MAX_TURNS || body.turns.some((t) => typeof t?.text !== 'string' || typeof t?.speaker !== 'string')) {
      throw new PersonaError('invalid_argument', `turns must be 1 to ${MAX_TURNS} objects with "speaker" and "text".`, { field: 'turns' });
    }
    const controller = new AbortController();
    return streamSSE(c, async (stream) => {
      stream.onAbort(() => controller.abort());
      try {
        const reply = await engine.replyAs(persona, body.turns, {
          model: body.model || undefined,
          signal: controller.signal,
          overrides: { seed: body.seed, temperature: body.temperature, max_new_tokens: body.max_new_tokens },
          onDelta: (delta) => void stream.writeSSE({ event: 'delta', data: JSON.stringify({ text: delta.text }) }),
        });
        await stream.writeSSE({ event: 'done', data: JSON.stringify({ text: reply.text, model: reply.model.version, stoppedBy: reply.stoppedBy, tokens: reply.tokens.length }) });
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
    await recordFeedback(store, {
      persona: persona.id,
      platform: 'studio',
      channelId: 'studio',
      messageId: String(body.messageId),
      userId: 'studio',
      rating: body.rating,
      reply: String(body.reply ?? ''),
      context: (body.context ?? []).map((t) => ({ role: t.speaker === persona.name ? 'assistant' : 'user', name: t.speaker, text: t.text })),
      at: Date.now(),
      added: body.added !== false,
    });
    return c.json({ recorded: true });
  });

  return app;
}
