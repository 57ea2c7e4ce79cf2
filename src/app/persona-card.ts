/**
 * `persona import <card>` and `persona export <id> --card <file>`: a Character Card V2/V3
 * (JSON or PNG) becomes a persona file, its PNG the avatar beside it, and its example
 * dialogues pending samples for review (the same ingest builder as transcripts, so they are
 * cleaned and redacted like any other source); a persona becomes a card again. Everything is
 * validated before the first write, so bad input leaves nothing behind.
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { stringify } from 'yaml';
import type { Config } from '../config/config.js';
import { addDrafts } from '../curation/sample-store.js';
import { PersonaError } from '../errors.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { buildSamples } from '../ingest/messages-to-samples.js';
import type { Message } from '../ingest/types.js';
import { cardFromPersona, idFromName, personaFromCard, readCardBytes, readCardFile, type CardSpec } from '../personas/character-card.js';
import { placeholderPng, writeCardChunk } from '../personas/card-png.js';
import { parseExampleDialogues } from '../personas/greeting.js';
import { loadAllPersonas, loadPersona, parsePersona, personaPath } from '../personas/load.js';
import { avatarPath, requireNewId, writeNewPersona } from '../personas/persona-files.js';
import type { Persona } from '../personas/schema.js';
import type { Store } from '../store/index.js';

export interface ImportedCard {
  persona: Persona;
  spec: CardSpec;
  /** Example-dialogue lines of the character now waiting in the review queue. */
  pendingSamples: number;
}

/**
 * Imports a card file, or an upload (`{ bytes, name }`, e.g. from the studio). Options pick
 * another id or display name when the card's name is taken.
 */
export async function importCard(
  deps: { config: Config; store: Store },
  source: string | { bytes: Uint8Array; name: string },
  options: { id?: string; name?: string } = {},
): Promise<ImportedCard> {
  const dir = deps.config.PERSONAS_DIR;
  const file = typeof source === 'string' ? source : basename(source.name);
  const card = typeof source === 'string' ? readCardFile(source) : readCardBytes(source.bytes, file);
  const name = options.name?.trim() || card.data.name.trim();
  if (!name)
    throw new PersonaError('input_malformed', `${file}: card field "data.name" is empty; give the persona a name with --name.`, { file, field: 'data.name' });
  const id = options.id ?? idFromName(name);
  const sameName = loadAllPersonas(dir).find((p) => p.name.toLowerCase() === name.toLowerCase());
  if (sameName || existsSync(personaPath(dir, id))) {
    const other = sameName?.id ?? id;
    throw new PersonaError(
      'invalid_argument',
      `${file}: card field "data.name" ("${name}") collides with the existing persona "${other}"; import it under another id and name with --id and --name.`,
      { file, field: 'data.name', persona: other },
    );
  }
  requireNewId(dir, id);
  const input = personaFromCard(card, id, name);
  const persona = parsePersona(stringify(input), file); // validated before anything is written
  const written = writeNewPersona(dir, input, card.avatar ? { bytes: card.avatar, ext: '.png' } : undefined);
  const drafts = parseExampleDialogues(persona.example_dialogues, { char: persona.name }).flatMap((dialogue, d) => {
    const conversation: Message[] = dialogue.map((turn, t) => ({
      speaker: turn.speaker,
      text: turn.text,
      position: `${d + 1}:${t + 1}`,
      isPersona: turn.isPersona,
    }));
    return buildSamples(persona, conversation, { type: 'import', ref: `card:${basename(file)}` });
  });
  const added = await addDrafts(deps.store, drafts);
  return { persona: written, spec: card.spec, pendingSamples: added.added.length };
}

/** The persona as a card file's contents: JSON text, or a PNG (its avatar, or a placeholder) carrying the card chunk. */
export function cardContents(config: Config, id: string, format: 'png' | 'json', spec: CardSpec = 'v3'): Uint8Array | string {
  const persona = loadPersona(config.PERSONAS_DIR, id);
  const json = JSON.stringify(cardFromPersona(persona, spec), null, format === 'json' ? 2 : undefined);
  if (format === 'json') return json;
  const avatar = avatarPath(config.PERSONAS_DIR, persona);
  const usable = avatar && existsSync(avatar) && extname(avatar).toLowerCase() === '.png' ? avatar : undefined;
  try {
    return writeCardChunk(usable ? readFileSync(usable) : placeholderPng(), spec === 'v3' ? 'ccv3' : 'chara', json);
  } catch (error) {
    throw new PersonaError(
      'input_malformed',
      `${usable}: the avatar is not a readable PNG (${(error as Error).message}); fix or remove the persona's avatar field.`,
      { file: usable, field: 'avatar' },
    );
  }
}

/** Writes the persona as a card file; the extension (.png or .json) picks the format. */
export function exportCard(config: Config, id: string, out: string, spec: CardSpec = 'v3'): { file: string; spec: CardSpec } {
  const ext = extname(out).toLowerCase();
  if (ext !== '.png' && ext !== '.json') throw new PersonaError('invalid_argument', `--card ${out}: the file must end in .png or .json.`, { field: 'card' });
  const contents = cardContents(config, id, ext === '.png' ? 'png' : 'json', spec);
  writeFileAtomic(out, contents);
  return { file: out, spec };
}
