/**
 * Character cards in the studio, as `persona import` and `persona export --card` do them
 * (src/app/persona-card.ts): a V2/V3 card (PNG or JSON) uploaded as the raw body becomes a
 * persona; a persona downloads as a card file.
 */
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { PersonaError } from '../../../errors.js';
import { loadPersona } from '../../../personas/load.js';
import type { StudioDeps } from '../deps.js';

/** Card PNGs are avatars with a text chunk: a few MB at most. */
export const MAX_CARD_BYTES = 20 * 2 ** 20;

function choice<T extends string>(value: string | undefined, field: string, choices: readonly T[], fallback: T): T {
  if (value === undefined || value === '') return fallback;
  if (!(choices as readonly string[]).includes(value))
    throw new PersonaError('invalid_argument', `Card ${field} must be ${choices.join(' or ')}, not "${value}".`, { field });
  return value as T;
}

export function cardRoutes({ data, personas }: StudioDeps): Hono {
  const { config } = data;
  const app = new Hono();

  /** `?filename=card.png` (its extension tells PNG from JSON), optional `id` and `name` when the card's are taken. */
  app.post(
    '/cards',
    bodyLimit({ maxSize: MAX_CARD_BYTES, onError: (c) => c.json({ error: `That card is larger than ${MAX_CARD_BYTES / 2 ** 20} MB.` }, 413) }),
    async (c) => {
      const name = c.req.query('filename') ?? '';
      if (!name) throw new PersonaError('invalid_argument', 'The card upload needs a file name (?filename=…).', { field: 'filename' });
      const bytes = new Uint8Array(await c.req.arrayBuffer());
      const result = await personas.importCard({ bytes, name }, { id: c.req.query('id')?.trim() || undefined, name: c.req.query('name')?.trim() || undefined });
      return c.json(result, 201);
    },
  );

  /** `?format=png|json&spec=v2|v3`, as a download. */
  app.get('/:id/card', (c) => {
    const persona = loadPersona(config.PERSONAS_DIR, c.req.param('id'));
    const format = choice(c.req.query('format'), 'format', ['png', 'json'] as const, 'png');
    const spec = choice(c.req.query('spec'), 'spec', ['v3', 'v2'] as const, 'v3');
    const contents = personas.cardContents(persona.id, format, spec);
    const body = typeof contents === 'string' ? contents : Buffer.from(contents);
    return c.body(body, 200, {
      'content-type': format === 'png' ? 'image/png' : 'application/json; charset=utf-8',
      'content-disposition': `attachment; filename="${persona.id}-card.${format}"`,
    });
  });

  return app;
}
