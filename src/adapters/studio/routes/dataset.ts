/**
 * Dataset page: counts by state, source and kind, a length histogram, a paged sample
 * browser, and export downloads in the same formats as `persona dataset export`.
 */
import { Hono } from 'hono';
import { decide, listSamples, requireSample, SAMPLE_STATES, effectiveText, type SampleState } from '../../../curation/index.js';
import { loadDatasetSnapshot } from '../../../datasets/snapshot.js';
import { datasetStats } from '../../../datasets/stats.js';
import { baseTokenizer } from '../../../evaluation/held-out.js';
import { parseExportFormat } from '../../../datasets/dataset-export.js';
import { renderDataset } from '../../../datasets/formats.js';
import { PersonaError } from '../../../errors.js';
import { loadPersona } from '../../../personas/load.js';
import type { StudioDeps } from '../deps.js';
import { systemPromptOf } from '../../../personas/greeting.js';

const HISTOGRAM_BINS = [0, 50, 100, 200, 400, 800, 1600, 3200, Infinity];

function histogram(lengths: number[]): { from: number; to: number | null; count: number }[] {
  return HISTOGRAM_BINS.slice(0, -1).map((from, i) => {
    const to = HISTOGRAM_BINS[i + 1];
    return { from, to: Number.isFinite(to) ? to : null, count: lengths.filter((n) => n >= from && n < to).length };
  });
}

function parseState(value: string | undefined): SampleState {
  const state = value ?? 'approved';
  if (!(SAMPLE_STATES as readonly string[]).includes(state))
    throw new PersonaError('invalid_argument', `state must be one of ${SAMPLE_STATES.join(', ')}.`, { field: 'state' });
  return state as SampleState;
}

export function datasetRoutes({ data }: StudioDeps): Hono {
  const { config, store } = data;
  const app = new Hono();

  app.get('/:id/stats', async (c) => {
    const persona = loadPersona(config.PERSONAS_DIR, c.req.param('id'));
    const stats = await datasetStats(store, persona, { tokenizer: baseTokenizer(config, persona) });
    const approved = await listSamples(store, persona.id, 'approved');
    return c.json({ ...stats, histogram: histogram(approved.map((s) => effectiveText(s).length)) });
  });

  app.get('/:id/samples', async (c) => {
    const persona = loadPersona(config.PERSONAS_DIR, c.req.param('id'));
    const state = parseState(c.req.query('state'));
    const offset = Math.max(0, Number(c.req.query('offset') ?? 0) || 0);
    const limit = Math.min(200, Math.max(1, Number(c.req.query('limit') ?? 50) || 50));
    const search = (c.req.query('q') ?? '').toLowerCase();
    const all = (await listSamples(store, persona.id, state))
      .filter((s) => !search || effectiveText(s).toLowerCase().includes(search))
      .sort((a, b) => b.updatedAt - a.updatedAt);
    return c.json({
      total: all.length,
      samples: all.slice(offset, offset + limit).map((s) => ({
        id: s.id,
        kind: s.kind,
        state: s.state,
        speaker: s.speaker,
        context: s.context,
        text: effectiveText(s),
        original: s.editedText ? s.text : undefined,
        exemplary: s.exemplary,
        source: s.source,
        decidedBy: s.decidedBy,
        decidedVia: s.decidedVia,
      })),
    });
  });

  /** Approve or reject one sample from the Dataset page (recorded like any studio decision). */
  app.post('/:id/samples/:sampleId/state', async (c) => {
    const persona = loadPersona(config.PERSONAS_DIR, c.req.param('id'));
    const { state } = await c.req.json<{ state?: string }>();
    if (state !== 'approved' && state !== 'rejected') throw new PersonaError('invalid_argument', 'state must be "approved" or "rejected".', { field: 'state' });
    const sample = await requireSample(store, c.req.param('sampleId'), persona.id);
    const outcome = await decide(store, {
      sampleId: sample.id,
      action: state === 'approved' ? 'approve' : 'reject',
      by: 'studio',
      via: 'studio',
      where: 'studio:dataset',
    });
    return c.json({ state: outcome.sample.state });
  });

  app.get('/:id/export', async (c) => {
    const persona = loadPersona(config.PERSONAS_DIR, c.req.param('id'));
    const format = parseExportFormat(c.req.query('format') ?? 'openai');
    const split = c.req.query('split') ?? 'all';
    const snapshot = await loadDatasetSnapshot(store, persona);
    const samples = split === 'train' ? snapshot.train : split === 'validation' ? snapshot.validation : [...snapshot.train, ...snapshot.validation];
    const extension = format === 'openai' ? 'jsonl' : format === 'sharegpt' ? 'json' : 'txt';
    c.header('content-disposition', `attachment; filename="${persona.id}-${snapshot.version}-${split}.${extension}"`);
    return c.body(renderDataset(format, samples, systemPromptOf(persona)), 200, { 'content-type': 'text/plain; charset=utf-8' });
  });

  return app;
}
