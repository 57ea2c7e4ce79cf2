/**
 * The training page's base model picker: the bundled base and every complete, supported base
 * in the Hugging Face cache (src/hub), the persona's current one, switching it (the persona
 * file's `base:`, comments kept), and pulling a new one with progress (server-sent events).
 * Mounted by trainingRoutes under /training.
 */
import { readFileSync } from 'node:fs';
import type { Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import { parseDocument } from 'yaml';
import { isPersonaError, PersonaError } from '../../../errors.js';
import { listCachedBases } from '../../../hub/cached-bases.js';
import { formatHubId, requireHubId } from '../../../hub/hub-id.js';
import { pullBase } from '../../../hub/pull.js';
import { loadPersona, parsePersona, personaPath } from '../../../personas/load.js';
import { writeFileAtomic } from '../../../util/atomic-write.js';
import type { StudioDeps } from '../deps.js';

const gigabytes = (bytes: number) => `${(bytes / 2 ** 30).toFixed(bytes < 2 ** 30 ? 2 : 1)} GB`;
const millions = (n: number | null) => (n === null ? '' : n >= 1e9 ? `${(n / 1e9).toFixed(1)}B` : `${Math.round(n / 1e6)}M`);

export function baseRoutes(app: Hono, { data }: StudioDeps): void {
  const { config } = data;

  app.post('/bases/pull', async (c) => {
    const { id } = await c.req.json<{ id?: string }>();
    const hubId = requireHubId(String(id ?? '').trim());
    return streamSSE(c, async (stream) => {
      try {
        const result = await pullBase(config, hubId, { onProgress: (p) => void stream.writeSSE({ event: 'progress', data: JSON.stringify(p) }) });
        await stream.writeSSE({ event: 'done', data: JSON.stringify({ id: formatHubId(result.id), downloadedBytes: result.downloadedBytes }) });
      } catch (error) {
        await stream.writeSSE({
          event: 'error',
          data: JSON.stringify({ error: isPersonaError(error) ? error.message : 'The pull failed; the details are in the server log.' }),
        });
      }
    });
  });

  app.get('/:id/bases', (c) => {
    const persona = loadPersona(config.PERSONAS_DIR, c.req.param('id'));
    const cached = listCachedBases(config)
      .filter((base) => base.supported && base.missing.length === 0)
      .map((base) => ({
        id: base.id,
        label: `${base.id} · ${[millions(base.parameters), base.modelType, gigabytes(base.sizeBytes)].filter(Boolean).join(' · ')}`,
      }));
    return c.json({ current: persona.base ?? '', bases: [{ id: '', label: `bundled base (${config.BASE_MODEL_DIR})` }, ...cached] });
  });

  /** Sets (or, with an empty id, clears) the persona file's `base:`; the next run trains from it. */
  app.post('/:id/base', async (c) => {
    const persona = loadPersona(config.PERSONAS_DIR, c.req.param('id'));
    const { base } = await c.req.json<{ base?: string }>();
    if (typeof base !== 'string') throw new PersonaError('invalid_argument', 'base must be a Hub id, a folder, or "" for the bundled base.', { field: 'base' });
    const file = personaPath(config.PERSONAS_DIR, persona.id);
    const document = parseDocument(readFileSync(file, 'utf8'));
    if (base.trim()) document.set('base', base.trim());
    else document.delete('base');
    const yaml = document.toString();
    parsePersona(yaml, file);
    writeFileAtomic(file, yaml);
    return c.json({ base: base.trim() });
  });
}
