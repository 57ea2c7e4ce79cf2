/**
 * Review queue: pending candidates and the same decisions as Slack (approve, reject, edit,
 * exemplary) into the same history. A decision from the queue names the state the curator
 * saw; if another tab or Slack decided meanwhile, the answer is 409 with who decided, and
 * nothing is counted twice.
 */
import { Hono } from 'hono';
import { decide, listSamples, requireSample, DECISION_ACTIONS, effectiveText, type DecisionAction, type SampleRecord } from '../../../curation/index.js';
import { PersonaError } from '../../../errors.js';
import { loadPersona } from '../../../personas/load.js';
import type { StudioDeps } from '../deps.js';

function whoDecided(sample: SampleRecord): string {
  if (sample.decidedVia === 'studio' && (!sample.decidedBy || sample.decidedBy === 'studio')) return 'in the studio (another tab or window)';
  return `by ${sample.decidedBy ?? 'someone'}${sample.decidedVia ? ` via ${sample.decidedVia}` : ''}`;
}

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
    const conflict = (decided: SampleRecord) => c.json({ error: `This candidate was already ${decided.state} ${whoDecided(decided)}.`, code: 'decision_conflict', state: decided.state }, 409);
    if (body.expectedState && sample.state !== body.expectedState) return conflict(sample);
    // The event id names the history this decision was made on, whatever the action: when two
    // tabs pass the check above together, the store applies the first and drops the second.
    const eventId = `studio:${sample.id}:${sample.history.length}`;
    const outcome = await decide(store, { sampleId: sample.id, action: body.action, text: body.text, by: body.by || 'studio', via: 'studio', where: 'studio', eventId });
    if (!outcome.applied) return conflict(outcome.sample);
    return c.json({ applied: true, state: outcome.sample.state, exemplary: outcome.sample.exemplary, text: effectiveText(outcome.sample) });
  });

  return app;
}
