/**
 * Persona files on disk: writing a new one, copying one under a new id (its comments kept:
 * the file is edited as a YAML document, not re-serialised), the avatar image beside it, and
 * deleting both. Files are written to a temporary name and renamed, so a reader never sees
 * half a file. What else belongs to a persona (samples, models) is src/app/persona-lifecycle.ts.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { extname, join } from 'node:path';
import { parseDocument, stringify } from 'yaml';
import { PersonaError } from '../errors.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { loadAllPersonas, parsePersona, personaPath } from './load.js';
import { PERSONA_ID, type Persona, type PersonaInput } from './schema.js';

/** Refuses an id that is malformed or already taken, naming the field and the file in the way. */
export function requireNewId(personasDir: string, id: string, field = 'id'): void {
  if (!PERSONA_ID.test(id)) {
    throw new PersonaError(
      'invalid_argument',
      `Field "${field}": "${id}" is not a valid persona id (lower-case letters, digits and dashes, starting with a letter or digit).`,
      { field, id },
    );
  }
  const file = personaPath(personasDir, id);
  if (existsSync(file))
    throw new PersonaError('invalid_argument', `Field "${field}": a persona "${id}" already exists (${file}); choose another id.`, { field, id, file });
}

/** The avatar image's path, when the persona has one beside its file. */
export function avatarPath(personasDir: string, persona: Pick<Persona, 'avatar'>): string | undefined {
  return persona.avatar ? join(personasDir, persona.avatar) : undefined;
}

/** Validates and writes a new persona file (YAML text or fields); the id must be new. */
export function writeNewPersona(personasDir: string, input: PersonaInput | string, avatar?: { bytes: Uint8Array; ext: string }): Persona {
  const yaml = typeof input === 'string' ? input : stringify(input);
  const persona = parsePersona(yaml, 'the new persona');
  requireNewId(personasDir, persona.id);
  if (avatar) {
    mkdirSync(personasDir, { recursive: true });
    const name = `${persona.id}${avatar.ext}`;
    writeFileAtomic(join(personasDir, name), avatar.bytes);
    const document = parseDocument(yaml);
    document.set('avatar', name);
    return writeChecked(personasDir, persona.id, document.toString());
  }
  return writeChecked(personasDir, persona.id, yaml);
}

/**
 * Writes `source`'s file as persona `newId` with `name` (and its avatar as `<newId>.<ext>`).
 * With `replace`, `newId` may be `source.id` itself: a rename of the display name only.
 */
export function copyPersonaFile(personasDir: string, source: Persona, newId: string, options: { name: string; replace?: boolean }): Persona {
  if (!(options.replace && newId === source.id)) requireNewId(personasDir, newId);
  if (!options.name.trim()) throw new PersonaError('invalid_argument', 'Field "name": the display name cannot be empty.', { field: 'name' });
  const document = parseDocument(readFileSync(personaPath(personasDir, source.id), 'utf8'));
  document.set('id', newId);
  document.set('name', options.name.trim());
  const avatar = avatarPath(personasDir, source);
  if (avatar && existsSync(avatar) && newId !== source.id) {
    const name = `${newId}${extname(avatar)}`;
    copyFileSync(avatar, join(personasDir, name));
    document.set('avatar', name);
  }
  return writeChecked(personasDir, newId, document.toString());
}

/** Deletes the persona file and its avatar; returns the paths deleted. */
export function deletePersonaFiles(personasDir: string, persona: Persona): string[] {
  const deleted: string[] = [];
  const avatar = avatarPath(personasDir, persona);
  // Another persona may point at the same image (a hand-edited file): keep it then.
  const shared = loadAllPersonas(personasDir).some((other) => other.id !== persona.id && other.avatar === persona.avatar);
  if (avatar && existsSync(avatar) && !shared) {
    rmSync(avatar);
    deleted.push(avatar);
  }
  const file = personaPath(personasDir, persona.id);
  rmSync(file, { force: true });
  deleted.push(file);
  return deleted;
}

function writeChecked(personasDir: string, id: string, yaml: string): Persona {
  mkdirSync(personasDir, { recursive: true });
  const file = personaPath(personasDir, id);
  const persona = parsePersona(yaml, file);
  writeFileAtomic(file, yaml);
  return persona;
}
