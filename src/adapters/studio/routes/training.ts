/**
 * Training page: start a run (queued like a scheduled one), past runs with their loss
 * curves and the gate's decision, model versions, promote and roll back; `/events` streams
 * live progress (server-sent events) for the chart.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import { PersonaError } from '../../../errors.js';
import { loadPersona } from '../../../personas/load.js';
import { jobHistory } from '../../../scheduler/history.js';
import { cancelTraining } from '../../../scheduler/cancel.js';
import type { TrainingOverrides } from '../../../training/trainer/settings.js';
import type { StudioDeps } from '../deps.js';
import { baseRoutes } from './bases.js';

/** The training form: every `persona train` flag; absent fields keep the persona file's value. */
interface StartBody {
  method?: string;
  optimizer?: string;
  epochs?: unknown;
  maxSteps?: unknown;
  learningRate?: unknown;
  batchSize?: unknown;
  seqLen?: unknown;
  seed?: unknown;
  loraRank?: unknown;
}

/** The step and eval lines of a version's metrics.jsonl (what the chart of a past run shows). */
function lossCurve(dir: string): unknown[] {
  const file = join(dir, 'metrics.jsonl');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line))
    .filter((e) => e.type === 'step' || e.type === 'eval')
    .map((e) => (e.type === 'step' ? { type: 'step', step: e.step, loss: e.loss } : { type: 'eval', step: e.step, validationLoss: e.validationLoss }));
}

const given = (value: unknown) => value !== undefined && value !== null && value !== '';

const positive = (value: unknown, field: string, whole = false) => {
  if (!given(value)) return undefined;
  const n = Number(value);
  if (!(n > 0) || (whole && !Number.isInteger(n)))
    throw new PersonaError('invalid_argument', `${field} must be a positive ${whole ? 'whole ' : ''}number.`, { field });
  return n;
};

function oneOf<T extends string>(value: unknown, field: string, choices: readonly T[]): T | undefined {
  if (!given(value)) return undefined;
  if (!(choices as readonly unknown[]).includes(value)) throw new PersonaError('invalid_argument', `${field} must be ${choices.join(' or ')}.`, { field });
  return value as T;
}

/** Checked before the run is queued: a bad field never becomes a failed job. */
function overridesFrom(body: StartBody): TrainingOverrides {
  const seed = given(body.seed) ? Number(body.seed) : undefined;
  if (seed !== undefined && !Number.isInteger(seed)) throw new PersonaError('invalid_argument', 'seed must be a whole number.', { field: 'seed' });
  return {
    method: oneOf(body.method, 'method', ['lora', 'full'] as const),
    optimizer: oneOf(body.optimizer, 'optimizer', ['adamw', 'sgd'] as const),
    epochs: positive(body.epochs, 'epochs'),
    maxSteps: positive(body.maxSteps, 'maxSteps', true),
    learningRate: positive(body.learningRate, 'learningRate'),
    batchSize: positive(body.batchSize, 'batchSize', true),
    seqLen: positive(body.seqLen, 'seqLen', true),
    seed,
    loraRank: positive(body.loraRank, 'loraRank', true),
  };
}

export function trainingRoutes(deps: StudioDeps): Hono {
  const { data, scheduler, events } = deps;
  const { config, registry, store } = data;
  const app = new Hono();
  baseRoutes(app, deps);

  app.get('/events', (c) =>
    streamSSE(c, async (stream) => {
      const unfollow = events.follow((event, data) => void stream.writeSSE({ event, data: JSON.stringify(data) }));
      await stream.writeSSE({ event: 'hello', data: JSON.stringify(scheduler.status) });
      await new Promise<void>((resolve) => stream.onAbort(resolve));
      unfollow();
    }),
  );

  app.post('/:id/start', async (c) => {
    const persona = loadPersona(config.PERSONAS_DIR, c.req.param('id'));
    const body = (await c.req.json<StartBody>().catch(() => ({}))) as StartBody;
    // Checked as `persona train` checks it (settings, then the memory plan): a run that cannot
    // start is refused here with the sentence the form shows, and no job is recorded.
    scheduler.startNow(persona, { reason: 'studio', force: true, overrides: overridesFrom(body) });
    return c.json({ queued: persona.id, status: scheduler.status }, 202);
  });

  /** The persona file's training settings: the form's defaults. */
  app.get('/:id/settings', (c) => {
    const { training } = loadPersona(config.PERSONAS_DIR, c.req.param('id'));
    const { method, optimizer, epochs, max_steps, learning_rate, batch_size, seq_len, seed, lora } = training;
    return c.json({
      method,
      optimizer,
      epochs,
      maxSteps: max_steps ?? null,
      learningRate: learning_rate ?? null,
      batchSize: batch_size,
      seqLen: seq_len,
      seed,
      loraRank: lora.r,
    });
  });

  app.post('/:id/cancel', async (c) => {
    const persona = loadPersona(config.PERSONAS_DIR, c.req.param('id'));
    const { waiting, running } = scheduler.status;
    const outcome = await cancelTraining(store, persona.id, 'studio', waiting.includes(persona.id) || running.includes(persona.id));
    if (!outcome.requested) throw new PersonaError('invalid_argument', `Nothing to cancel: ${outcome.reason}.`, { persona: persona.id });
    return c.json({ cancelling: persona.id }, 202);
  });

  app.get('/:id/jobs', async (c) => {
    const persona = loadPersona(config.PERSONAS_DIR, c.req.param('id'));
    const jobs = await jobHistory(store).list(persona.id, 20);
    const versions = new Map((await registry.list(persona.id)).map((v) => [v.version, v]));
    return c.json(jobs.map((job) => ({ ...job, curve: job.version && versions.has(job.version) ? lossCurve(versions.get(job.version)!.dir) : [] })));
  });

  app.get('/:id/models', async (c) => {
    const persona = loadPersona(config.PERSONAS_DIR, c.req.param('id'));
    return c.json({ champion: (await registry.champion(persona.id))?.version ?? null, versions: await registry.list(persona.id) });
  });

  app.post('/:id/models/:version/promote', async (c) => {
    const persona = loadPersona(config.PERSONAS_DIR, c.req.param('id'));
    const record = await registry.promote(persona.id, c.req.param('version'), 'promoted in the studio');
    return c.json({ champion: record.version });
  });

  app.post('/:id/models/:version/remove', async (c) => {
    const persona = loadPersona(config.PERSONAS_DIR, c.req.param('id'));
    await registry.remove(persona.id, c.req.param('version'));
    return c.json({ removed: c.req.param('version') });
  });

  app.post('/:id/rollback', async (c) => {
    const persona = loadPersona(config.PERSONAS_DIR, c.req.param('id'));
    const record = await registry.rollback(persona.id);
    return c.json({ champion: record?.version ?? null });
  });

  return app;
}
