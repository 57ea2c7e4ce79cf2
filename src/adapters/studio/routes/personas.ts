/**
 * Personas: list, read, create and edit persona files (validated exactly like the CLI
 * reads them); uploads (uploads.ts) and character cards (cards.ts) are mounted here.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { Hono } from 'hono';
import { stringify } from 'yaml';
import { countSamples } from '../../../curation/index.js';
import { PersonaError } from '../../../errors.js';
import { writeFileAtomic } from '../../../util/atomic-write.js';
import { demoBaseNotice, usesBundledDemoBase } from '../../../hub/base-location.js';
import { logger } from '../../../log.js';
import { listPersonaIds, loadAllPersonas, loadPersona, parsePersona, personaPath } from '../../../personas/load.js';
import type { Persona } from '../../../personas/schema.js';
import { validateCron } from '../../../scheduler/cron.js';
import type { StudioDeps } from '../deps.js';
import { cardRoutes } from './cards.js';
import { uploadRoutes } from './uploads.js';

export { MAX_UPLOAD_BYTES } from './uploads.js';

/** A persona file from the create form: the form's fields, everything else defaulted. */
function personaYamlFromForm(body: Record<string, unknown>): string {
  const names = String(body.voices ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const id = String(body.id ?? '').trim();
  const optional = (field: string) => String(body[field] ?? '').trim() || undefined; // empty fields stay out of the file
  return stringify({
    id,
    name: String(body.name ?? '').trim(),
    description: optional('description'),
    system_prompt: optional('system_prompt'),
    voices: { names },
    sources: [`transcripts/${id}/**/*`],
  });
}

export function personaRoutes(deps: StudioDeps): Hono {
  const { data, scheduler, personas: ops } = deps;
  const { config, registry, store } = data;
  const app = new Hono();

  /** Writes a validated persona file and reinstalls the retraining schedules, so a new or changed `schedule:` applies now. */
  function save(file: string, yaml: string, persona: Persona): void {
    const { cron, timezone } = persona.schedule;
    if (cron) validateCron(cron, timezone, `${file} field schedule.cron`);
    mkdirSync(config.PERSONAS_DIR, { recursive: true });
    writeFileAtomic(file, yaml);
    try {
      scheduler.schedule(loadAllPersonas(config.PERSONAS_DIR));
    } catch (error) {
      logger('studio').warn({ err: (error as Error).message }, 'schedules not reinstalled: another persona file is invalid');
    }
  }

  app.get('/', async (c) => {
    const personas = await Promise.all(
      listPersonaIds(config.PERSONAS_DIR).map(async (id) => {
        try {
          const persona = loadPersona(config.PERSONAS_DIR, id);
          const champion = await registry.champion(id);
          const notice = usesBundledDemoBase(config, persona.base) ? demoBaseNotice(persona.name) : null;
          return {
            id,
            name: persona.name,
            description: persona.description,
            champion: champion?.version ?? null,
            counts: await countSamples(store, id),
            demoBaseNotice: notice,
          };
        } catch (error) {
          return { id, error: (error as Error).message };
        }
      }),
    );
    return c.json(personas);
  });

  app.get('/:id', (c) => {
    const persona = loadPersona(config.PERSONAS_DIR, c.req.param('id'));
    return c.json({ persona, yaml: readFileSync(personaPath(config.PERSONAS_DIR, persona.id), 'utf8') });
  });

  app.post('/', async (c) => {
    const body = await c.req.json<Record<string, unknown>>();
    const yaml = typeof body.yaml === 'string' ? body.yaml : personaYamlFromForm(body);
    const persona = parsePersona(yaml, 'the new persona');
    const file = personaPath(config.PERSONAS_DIR, persona.id);
    if (existsSync(file))
      throw new PersonaError('invalid_argument', `A persona "${persona.id}" already exists (${file}); choose another id.`, { id: persona.id });
    save(file, yaml, persona);
    return c.json({ persona }, 201);
  });

  app.put('/:id', async (c) => {
    const id = c.req.param('id');
    loadPersona(config.PERSONAS_DIR, id);
    const { yaml } = await c.req.json<{ yaml: string }>();
    const file = personaPath(config.PERSONAS_DIR, id);
    const persona = parsePersona(yaml, file);
    if (persona.id !== id)
      throw new PersonaError('persona_invalid', `${file}: field "id" cannot change from "${id}" to "${persona.id}"; create a new persona instead.`, {
        field: 'id',
      });
    save(file, yaml, persona);
    return c.json({ persona });
  });

  // Rename, duplicate and delete (with its samples, models and jobs), as the CLI does them.
  app.post('/:id/rename', async (c) => {
    const body = await c.req.json<{ newId?: string; name?: string }>();
    const persona = await ops.rename(c.req.param('id'), { newId: body.newId?.trim() || undefined, name: body.name?.trim() || undefined });
    return c.json({ persona });
  });

  app.post('/:id/copy', async (c) => {
    const body = await c.req.json<{ newId?: string; name?: string }>();
    if (!body.newId?.trim()) throw new PersonaError('invalid_argument', 'A copy needs a new id.', { field: 'newId' });
    const persona = await ops.copy(c.req.param('id'), body.newId.trim(), { name: body.name?.trim() || undefined });
    return c.json({ persona }, 201);
  });

  /** What deleting would remove: the page's confirmation names it. */
  app.get('/:id/data', async (c) => c.json(await ops.dataSummary(loadPersona(config.PERSONAS_DIR, c.req.param('id')).id)));

  app.delete('/:id', async (c) => c.json(await ops.remove(c.req.param('id'))));

  app.route('/', uploadRoutes(deps));
  app.route('/', cardRoutes(deps));

  return app;
}
