/** Reads and validates persona files; errors name the file, the field and what is allowed. */
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { PersonaError } from '../errors.js';
import { PERSONA_ID, personaSchema, type Persona } from './schema.js';

export function personaPath(personasDir: string, id: string): string {
  return join(personasDir, `${id}.yaml`);
}

export function parsePersona(text: string, file: string): Persona {
  let data: unknown;
  try {
    data = parseYaml(text);
  } catch (error) {
    const where = error instanceof YAMLParseError && error.linePos ? ` line ${error.linePos[0].line}` : '';
    throw new PersonaError('persona_invalid', `${file}${where}: not valid YAML (${(error as Error).message.split('\n')[0]}).`, { file });
  }
  const parsed = personaSchema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue.path.join('.') || '(top level)';
    throw new PersonaError('persona_invalid', `${file}: field "${field}" is invalid: ${describeIssue(issue)}.`, { file, field });
  }
  return parsed.data;
}

function describeIssue(issue: { code: string; message: string; keys?: string[]; values?: unknown[] }): string {
  if (issue.code === 'unrecognized_keys' && issue.keys) return `unknown field(s) ${issue.keys.join(', ')}`;
  if (issue.code === 'invalid_value' && issue.values) return `must be one of ${issue.values.map(String).join(', ')}`;
  return issue.message;
}

export function loadPersona(personasDir: string, id: string): Persona {
  if (!PERSONA_ID.test(id)) {
    throw new PersonaError('persona_not_found', `"${id}" is not a valid persona id (lower-case letters, digits and dashes).`, { id });
  }
  const file = personaPath(personasDir, id);
  if (!existsSync(file)) {
    const known = listPersonaIds(personasDir);
    throw new PersonaError('persona_not_found', `No persona "${id}": ${file} does not exist (known: ${known.join(', ') || 'none'}).`, { id, file });
  }
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new PersonaError('persona_invalid', `${file} cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}).`, { file });
  }
  const persona = parsePersona(text, file);
  if (persona.id !== id) {
    throw new PersonaError('persona_invalid', `${file}: field "id" is "${persona.id}" but the file name says "${id}".`, { file, field: 'id' });
  }
  return persona;
}

export function listPersonaIds(personasDir: string): string[] {
  if (!existsSync(personasDir)) return [];
  return readdirSync(personasDir)
    .filter((name) => name.endsWith('.yaml'))
    .map((name) => name.slice(0, -'.yaml'.length))
    .sort();
}

/** A persona file that did not load: shown as an error row (CLI, studio) and in serve's log and health report. */
export interface BrokenPersonaFile {
  id: string;
  file: string;
  error: PersonaError;
}

/** Every persona file in the folder, valid ones and broken ones apart, so that one bad file never hides the rest. */
export function readPersonaDir(personasDir: string): { personas: Persona[]; broken: BrokenPersonaFile[] } {
  const personas: Persona[] = [];
  const broken: BrokenPersonaFile[] = [];
  for (const id of listPersonaIds(personasDir)) {
    const file = personaPath(personasDir, id);
    try {
      personas.push(loadPersona(personasDir, id));
    } catch (error) {
      const reason =
        error instanceof PersonaError ? error : new PersonaError('persona_invalid', `${file}: ${(error as Error).message}`, { file }, { cause: error });
      broken.push({ id, file, error: reason });
    }
  }
  return { personas, broken };
}

/** The valid personas; `readPersonaDir` also says which files are broken and why. */
export function loadAllPersonas(personasDir: string): Persona[] {
  return readPersonaDir(personasDir).personas;
}
