/**
 * Uploads into a persona's dataset, through the same ingest as `persona ingest`: one file
 * (a transcript, a chat export, a zipped Slack export) as the raw body, or a folder (an
 * unzipped Slack export, a folder of transcripts) as multipart parts, each file paired with
 * its path inside the folder. The folder is rebuilt under TRANSCRIPTS_DIR/<id>/uploads/
 * with every path checked (no `..`, no absolute or hidden parts, bounded depth and count),
 * inside the same total size limit as a single file.
 */
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve, sep } from 'node:path';
import type { Context } from 'hono';
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { type IngestSummary, runIngest } from '../../../curation/index.js';
import { PersonaError } from '../../../errors.js';
import { loadPersona } from '../../../personas/load.js';
import type { Persona } from '../../../personas/schema.js';
import type { StudioDeps } from '../deps.js';

/** Uploads larger than this (one file, or a whole folder) are refused before they are read. */
export const MAX_UPLOAD_BYTES = 50 * 2 ** 20;
/** A year of daily files from 50 Slack channels is ~18,000. */
export const MAX_FOLDER_FILES = 20_000;
/** Slack exports are two deep (channel/day.json); transcript folders rarely deeper. */
export const MAX_FOLDER_DEPTH = 8;

/** A name safe as one path part under uploads/ (what the zip upload has always used). */
const safeName = (name: string) => basename(name).replace(/[^\w.\- ]+/g, '_');

/**
 * The parts of a path inside an uploaded folder; a path that would leave the folder is refused.
 * Returns undefined for hidden entries (`.DS_Store`, `.git/…`), which ingest skips anyway.
 */
export function folderPathParts(path: string): string[] | undefined {
  const parts = path.split('/');
  const bad = (reason: string) => new PersonaError('invalid_argument', `Folder upload: the path "${path}" ${reason}.`, { field: 'path', path });
  if (path.startsWith('/') || /^[A-Za-z]:/.test(path)) throw bad('is absolute; paths must be relative to the chosen folder');
  if (parts.some((p) => p === '..' || p === '.')) throw bad('contains "." or ".." parts');
  if (parts.some((p) => p === '' || p.includes('\\') || /[\x00-\x1f]/.test(p))) throw bad('has an empty part, a backslash or a control character');
  if (parts.length < 2) throw bad('names no folder; upload single files with the File field');
  if (parts.length > MAX_FOLDER_DEPTH + 1) throw bad(`is more than ${MAX_FOLDER_DEPTH} folders deep`);
  if (parts.some((p) => p.startsWith('.'))) return undefined;
  return parts;
}

export function uploadRoutes({ data }: StudioDeps): Hono {
  const { config, store } = data;
  const app = new Hono();
  const limit = bodyLimit({
    maxSize: MAX_UPLOAD_BYTES,
    onError: (c) => c.json({ error: `That upload is larger than ${MAX_UPLOAD_BYTES / 2 ** 20} MB; split it or use \`persona ingest\`.` }, 413),
  });

  /**
   * Writes the upload at uploads/<name> and ingests it. An earlier upload of the same name
   * stays until this one is known to be readable; if nothing in it can be read, it is removed
   * and the earlier one put back.
   */
  async function replaceAndIngest(c: Context, persona: Persona, name: string, write: (target: string) => void): Promise<IngestSummary> {
    if (!name || name.startsWith('.')) throw new PersonaError('invalid_argument', 'The upload needs a file or folder name (?filename=…).');
    const dir = join(config.TRANSCRIPTS_DIR, persona.id, 'uploads');
    mkdirSync(dir, { recursive: true });
    const target = join(dir, name);
    const previous = existsSync(target) ? `${target}.previous-${process.pid}-${Date.now()}` : undefined;
    if (previous) renameSync(target, previous);
    const restore = () => {
      rmSync(target, { recursive: true, force: true });
      if (previous) renameSync(previous, target);
    };
    let summary: IngestSummary;
    try {
      write(target);
      summary = await runIngest(store, persona, [target], {
        root: config.root,
        speaker: c.req.query('speaker') || undefined,
        trusted: c.req.query('trusted') === 'true',
        maxBytes: MAX_UPLOAD_BYTES,
      });
    } catch (error) {
      restore();
      throw error;
    }
    const skipped = summary.skipped[0];
    if (skipped && summary.added + summary.existing === 0) {
      restore();
      throw new PersonaError('input_unsupported', `${name} was not imported: ${skipped.reason}.`, { file: name });
    }
    if (previous) rmSync(previous, { recursive: true, force: true });
    return summary;
  }

  app.post('/:id/uploads', limit, async (c) => {
    const persona = loadPersona(config.PERSONAS_DIR, c.req.param('id'));
    const bytes = Buffer.from(await c.req.arrayBuffer());
    const name = safeName(c.req.query('filename') ?? '');
    return c.json(await replaceAndIngest(c, persona, name, (file) => writeFileSync(file, bytes)));
  });

  /** Multipart: `path` and `file` parts in pairs, in order; every path starts with the folder's name. */
  app.post('/:id/uploads/folder', limit, async (c) => {
    const persona = loadPersona(config.PERSONAS_DIR, c.req.param('id'));
    const form = await c.req.formData().catch(() => {
      throw new PersonaError('invalid_argument', 'Folder upload: the body must be multipart form data with path and file parts.', { field: 'body' });
    });
    const paths = form.getAll('path');
    const files = form.getAll('file');
    if (paths.length !== files.length || files.some((f) => typeof f === 'string') || paths.some((p) => typeof p !== 'string'))
      throw new PersonaError('invalid_argument', 'Folder upload: every file part needs a path part before it.', { field: 'path' });
    if (files.length === 0) throw new PersonaError('invalid_argument', 'Folder upload: the folder is empty.', { field: 'file' });
    if (files.length > MAX_FOLDER_FILES)
      throw new PersonaError('invalid_argument', `Folder upload: ${files.length} files; the studio takes up to ${MAX_FOLDER_FILES} (use \`persona ingest\`).`, {
        field: 'file',
      });
    const entries = paths.flatMap((path, i) => {
      const parts = folderPathParts(path as string);
      return parts ? [{ parts, file: files[i] as File }] : [];
    });
    const tops = new Set(entries.map((e) => e.parts[0]));
    if (tops.size !== 1)
      throw new PersonaError('invalid_argument', `Folder upload: one folder at a time (got ${[...tops].slice(0, 3).join(', ') || 'only hidden files'}).`, {
        field: 'path',
      });
    const contents = await Promise.all(entries.map(async (e) => ({ parts: e.parts.slice(1), bytes: Buffer.from(await e.file.arrayBuffer()) })));
    const name = safeName([...tops][0]);
    const summary = await replaceAndIngest(c, persona, name, (target) => {
      const folder = resolve(target);
      for (const { parts, bytes } of contents) {
        const file = resolve(folder, ...parts);
        // Checked above part by part; this is the last word on staying inside the folder.
        if (!file.startsWith(folder + sep)) throw new Error(`upload path escaped its folder: ${file}`);
        mkdirSync(dirname(file), { recursive: true });
        writeFileSync(file, bytes);
      }
    });
    return c.json(summary);
  });

  return app;
}
