/**
 * Review queue: pending candidates and the same decisions as Slack (approve, reject, edit,
 * exemplary) into the same history. A decision from the queue names the state the curator
 * saw; if another tab or Slack decided meanwhile, the answer is 409 with who decided, and
 * nothing is counted twice.
 */
import { Hono } from 'hono';
import { decide, listSamples, requireSample, DECISION_ACTIONS, effectiveText, type DecisionAction } from '../../../curation/index.js';
import { PersonaError } from '../../../errors.js';
import { loadPersona } from '../../../personas/load.js';
import type { StudioDeps } from '../deps.js';

export function reviewRoutes({ core }: StudioDeps): Hono {
  const { config, store } = core;
  const app = new Hono();

  app.get('/:id', async (c) => {
    const persona = loadPersona(config.PERSONAS_DIR, c.req.param('id'));
    const pending = (await listSamples(store, persona.id, 'pending')).sort((a, b) => a.createdAt - b.createdAt);
    return c.json({
      total: pending.length,
      samples: pending.slice(0, 100).map((s) => ({ id: s.id, kind: s.kind, speaker: s.speaker, context: s.context, text: effectiveText(s), source: s.source, createdAt: s.createdAt })),
    });
  });

  app.post('/:id/samples/:sampleId', async (c) => {
    const persona = loadPersona(config.PERSONAS_DIR, c.req.param('id'));
    const body = await c.req.json<{ action: DecisionAction; text?: string; expectedState?: string; by?: string }>();
    if (!(DECISION_ACTIONS as readonly string[]).includes(body.action)) {
      throw new PersonaError('invalid_argument', `action must be one of ${DECISION_ACTIONS.join(', ')}.`, { field: 'action' });
    }
    const sample = await requireSample(store, c.req.param('sampleId'), persona.id);
    if (body.expectedState && sample.state !== body.expectedState) {
      return c.json({ error: `This candidate was already ${sample.state} by ${sample.decidedBy ?? 'someone'} (${sample.decidedVia ?? 'elsewhere'}).`, code: 'decision_conflict', state: sample.state }, 409);
    }
    // Two tabs that saw the same history and took the same decision send the same event id,
    // so the store applies it once even when both requests pass the check above together.
    const eventId = `studio:${sample.id}:${body.action}:${sample.history.length}`;
    const outcome = await decide(store, { sampleId: sample.id, action: body.action, text: body.text, by: body.by || 'studio', via: 'studio', where: 'studio', eventId });
    return c.json({ applied: outcome.applied, state: outcome.sample.state, exemplary: outcome.sample.exemplary, text: effectiveText(outcome.sample) });
  });

  return app;
}
