/**
 * Review queue: pending candidates and the same decisions as Slack (approve, reject, edit,
 * exemplary) into the same history. A decision from the queue names the state the curator
 * saw; if another tab or Slack decided meanwhile, the answer is 409 with who decided, and
 * nothing is counted twice.
 */
import { Hono } from 'hono';
import {
  decide,
  decideMatching,
  listSamples,
  matchingSamples,
  requireSample,
  undoLastDecision,
  DECISION_ACTIONS,
  effectiveText,
  type DecisionAction,
  type SampleFilter,
  type SampleRecord,
} from '../../../curation/index.js';
import { PersonaError } from '../../../errors.js';
import { loadPersona } from '../../../personas/load.js';
import type { StudioDeps } from '../deps.js';

export function pageOf(offset: string | undefined, limit: string | undefined, fallback: number): { offset: number; limit: number } {
  return { offset: Math.max(0, Number(offset ?? 0) || 0), limit: Math.min(200, Math.max(1, Number(limit ?? fallback) || fallback)) };
}

const SOURCES = ['file', 'discord', 'slack', 'studio', 'import'] as const;

/** The bulk form's fields; empty ones filter nothing. */
function filterFrom(body: Record<string, unknown>): SampleFilter {
  const text = (key: string) => (typeof body[key] === 'string' && (body[key] as string).trim() ? (body[key] as string).trim() : undefined);
  const length = (key: string) => {
    if (body[key] === undefined || body[key] === null || body[key] === '') return undefined;
    const n = Number(body[key]);
    if (!Number.isInteger(n) || n < 0) throw new PersonaError('invalid_argument', `${key} must be a whole number of characters.`, { field: key });
    return n;
  };
  const source = text('source');
  if (source && !(SOURCES as readonly string[]).includes(source))
    throw new PersonaError('invalid_argument', `source must be one of ${SOURCES.join(', ')}.`, { field: 'source' });
  return {
    file: text('file'),
    source: source as SampleFilter['source'],
    speaker: text('speaker'),
    text: text('text'),
    minLength: length('minLength'),
    maxLength: length('maxLength'),
  };
}

function whoDecided(sample: SampleRecord): string {
  if (sample.decidedVia === 'studio' && (!sample.decidedBy || sample.decidedBy === 'studio')) return 'in the studio (another tab or window)';
  return `by ${sample.decidedBy ?? 'someone'}${sample.decidedVia ? ` via ${sample.decidedVia}` : ''}`;
}

export function reviewRoutes({ data }: StudioDeps): Hono {
  const { config, store } = data;
  const app = new Hono();

  /** Pending candidates, oldest first, one page at a time (`offset`, `limit` ≤ 200). */
  app.get('/:id', async (c) => {
    const persona = loadPersona(config.PERSONAS_DIR, c.req.param('id'));
    const pending = await listSamples(store, persona.id, 'pending');
    const { offset, limit } = pageOf(c.req.query('offset'), c.req.query('limit'), 100);
    return c.json({
      total: pending.length,
      offset,
      samples: pending
        .slice(offset, offset + limit)
        .map((s) => ({ id: s.id, kind: s.kind, speaker: s.speaker, context: s.context, text: effectiveText(s), source: s.source, createdAt: s.createdAt })),
    });
  });

  /** Every pending candidate matching the filter: `apply: false` counts them, `apply: true` decides them in one write. */
  app.post('/:id/bulk', async (c) => {
    const persona = loadPersona(config.PERSONAS_DIR, c.req.param('id'));
    const body = await c.req.json<{ action?: string; apply?: boolean } & Record<string, unknown>>();
    if (body.action !== 'approve' && body.action !== 'reject')
      throw new PersonaError('invalid_argument', 'action must be "approve" or "reject".', { field: 'action' });
    const filter = filterFrom(body);
    if (!body.apply) return c.json({ matches: (await matchingSamples(store, persona.id, filter)).length, applied: false });
    const outcome = await decideMatching(store, persona.id, filter, { action: body.action, by: 'studio', via: 'studio' });
    return c.json({ matches: outcome.changed, applied: true });
  });

  /** Takes back the newest decision made in the studio (a bulk run as a whole). */
  app.post('/:id/undo', async (c) => {
    const persona = loadPersona(config.PERSONAS_DIR, c.req.param('id'));
    const outcome = await undoLastDecision(store, persona.id, 'studio');
    if (!outcome)
      throw new PersonaError('invalid_argument', `There is no review decision on ${persona.name} from the studio to undo.`, { persona: persona.id });
    return c.json({
      action: outcome.action,
      samples: outcome.samples.length,
      text: outcome.samples.length === 1 ? effectiveText(outcome.samples[0]) : undefined,
    });
  });

  app.post('/:id/samples/:sampleId', async (c) => {
    const persona = loadPersona(config.PERSONAS_DIR, c.req.param('id'));
    const body = await c.req.json<{ action: DecisionAction; text?: string; expectedState?: string; by?: string }>();
    if (!(DECISION_ACTIONS as readonly string[]).includes(body.action)) {
      throw new PersonaError('invalid_argument', `action must be one of ${DECISION_ACTIONS.join(', ')}.`, { field: 'action' });
    }
    const sample = await requireSample(store, c.req.param('sampleId'), persona.id);
    const conflict = (decided: SampleRecord) =>
      c.json({ error: `This candidate was already ${decided.state} ${whoDecided(decided)}.`, code: 'decision_conflict', state: decided.state }, 409);
    if (body.expectedState && sample.state !== body.expectedState) return conflict(sample);
    // The event id names the history this decision was made on, whatever the action: when two
    // tabs pass the check above together, the store applies the first and drops the second.
    const eventId = `studio:${sample.id}:${sample.history.length}`;
    const outcome = await decide(store, {
      sampleId: sample.id,
      action: body.action,
      text: body.text,
      by: body.by || 'studio',
      via: 'studio',
      where: 'studio',
      eventId,
    });
    if (!outcome.applied) return conflict(outcome.sample);
    return c.json({ applied: true, state: outcome.sample.state, exemplary: outcome.sample.exemplary, text: effectiveText(outcome.sample) });
  });

  return app;
}
