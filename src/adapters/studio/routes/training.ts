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
import type { StudioDeps } from '../deps.js';

interface StartBody {
  method?: 'lora' | 'full';
  epochs?: number;
  maxSteps?: number;
  learningRate?: number;
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

const positive = (value: unknown, field: string) => {
  if (value === undefined || value === null || value === '') return undefined;
  const n = Number(value);
  if (!(n > 0)) throw new PersonaError('invalid_argument', `${field} must be a positive number.`, { field });
  return n;
};

export function trainingRoutes({ core, scheduler, events }: StudioDeps): Hono {
  const { config, registry, store } = core;
  const app = new Hono();

  app.get('/events', (c) =>
    streamSSE(c, async (stream) => {
      const send = (event: string) => (data: unknown) => void stream.writeSSE({ event, data: JSON.stringify(data) });
      const listeners = { training: send('training'), job: send('job'), phase: send('phase'), champion: send('champion') } as const;
      for (const [name, listener] of Object.entries(listeners)) events.on(name as keyof typeof listeners, listener as never);
      await stream.writeSSE({ event: 'hello', data: JSON.stringify(scheduler.status) });
      await new Promise<void>((resolve) => stream.onAbort(resolve));
      for (const [name, listener] of Object.entries(listeners)) events.off(name as keyof typeof listeners, listener as never);
    }),
  );

  app.post('/:id/start', async (c) => {
    const persona = loadPersona(config.PERSONAS_DIR, c.req.param('id'));
    const body = (await c.req.json<StartBody>().catch(() => ({}))) as StartBody;
    if (body.method && body.method !== 'lora' && body.method !== 'full') throw new PersonaError('invalid_argument', 'method must be "lora" or "full".', { field: 'method' });
    const overrides = { method: body.method, epochs: positive(body.epochs, 'epochs'), maxSteps: positive(body.maxSteps, 'maxSteps'), learningRate: positive(body.learningRate, 'learningRate') };
    scheduler.enqueue(persona.id, { reason: 'studio', force: true, overrides }).catch(() => undefined);
    return c.json({ queued: persona.id, status: scheduler.status }, 202);
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

  app.post('/:id/rollback', async (c) => {
    const persona = loadPersona(config.PERSONAS_DIR, c.req.param('id'));
    const record = await registry.rollback(persona.id);
    return c.json({ champion: record?.version ?? null });
  });

  return app;
}
