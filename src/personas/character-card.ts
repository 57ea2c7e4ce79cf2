/**
 * Character Card V2 and V3 (SillyTavern, chub, RisuAI, Agnai) ⇄ persona files. V1 and V2
 * cards are validated by character-card-utils (the V2 spec's own parser; V1 cards are
 * converted); a V3 card is the V2 data plus the V3 fields (kwaroran/character-card-spec-v3),
 * so its shared fields go through the same V2 parser and the V3 ones through a schema here.
 * Errors name the file and the card field (`data.name`) and nothing is returned half-read.
 */
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import * as Cards from 'character-card-utils';
import { z } from 'zod';
import { PersonaError } from '../errors.js';
import { readCardChunks, type CardChunk } from './card-png.js';
import { PERSONA_ID, type Persona, type PersonaInput } from './schema.js';

export type CardSpec = 'v2' | 'v3';
export type CardData = Cards.V2['data'];

export interface Card {
  spec: CardSpec;
  data: CardData & { nickname?: string };
}

export interface CardFile extends Card {
  /** The PNG the card came in: it becomes the persona's avatar. */
  avatar?: Uint8Array;
}

const v3Only = z.object({
  group_only_greetings: z.array(z.string()),
  nickname: z.string().optional(),
  source: z.array(z.string()).optional(),
  creation_date: z.number().optional(),
  modification_date: z.number().optional(),
  creator_notes_multilingual: z.record(z.string(), z.string()).optional(),
  assets: z.array(z.object({ type: z.string(), uri: z.string(), name: z.string(), ext: z.string() })).optional(),
});

function invalid(file: string, path: PropertyKey[], reason: string): PersonaError {
  const field = path.map(String).join('.') || '(top level)';
  return new PersonaError('input_malformed', `${file}: card field "${field}" is invalid: ${reason}.`, { file, field });
}

function firstIssue(file: string, error: { issues: Array<{ path: PropertyKey[]; message: string }> }, prefix: PropertyKey[] = []): PersonaError {
  const issue = error.issues[0];
  return invalid(file, [...prefix, ...issue.path], issue.message === 'Required' ? 'missing' : issue.message);
}

/** Validates a parsed card object of any supported spec. */
export function parseCard(json: unknown, file: string): Card {
  if (!json || typeof json !== 'object' || Array.isArray(json)) throw invalid(file, [], 'a character card is a JSON object');
  const spec = (json as { spec?: unknown }).spec;
  if (spec === 'chara_card_v3') {
    const data = (json as { data?: unknown }).data;
    if (!data || typeof data !== 'object') throw invalid(file, ['data'], 'missing');
    const extra = v3Only.safeParse(data);
    if (!extra.success) throw firstIssue(file, extra.error, ['data']);
    const shared = Cards.v2.safeParse({ spec: 'chara_card_v2', spec_version: '2.0', data });
    if (!shared.success) throw firstIssue(file, shared.error);
    return { spec: 'v3', data: { ...shared.data.data, nickname: extra.data.nickname } };
  }
  if (spec === 'chara_card_v2') {
    const parsed = Cards.v2.safeParse(json);
    if (!parsed.success) throw firstIssue(file, parsed.error);
    return { spec: 'v2', data: parsed.data.data };
  }
  if (spec !== undefined) throw invalid(file, ['spec'], `"${String(spec)}" is not a card spec this version reads (chara_card_v2, chara_card_v3)`);
  const v1 = Cards.v1.safeParse(json);
  if (!v1.success) throw firstIssue(file, v1.error);
  return { spec: 'v2', data: Cards.v1ToV2(v1.data).data };
}

/** Reads a card from a `.json` file or a `.png` with a `ccv3` (preferred) or `chara` chunk. */
export function readCardFile(file: string): CardFile {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (error) {
    throw new PersonaError('input_not_found', `Cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}.`, { file });
  }
  return readCardBytes(bytes, file);
}

/** A card from the bytes of a PNG or JSON file (an upload); `file` names it in errors. */
export function readCardBytes(bytes: Uint8Array, file: string): CardFile {
  const data = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const isPng = data.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  if (!isPng && extname(file).toLowerCase() === '.png')
    throw new PersonaError('input_malformed', `${file} is not a PNG image (wrong file signature).`, { file });
  if (isPng) {
    const chunks = readCardChunks(data, file);
    // A V3 card may carry a V2 copy for older apps; the spec says to read the V3 one.
    const chunk: CardChunk = chunks.ccv3 !== undefined ? 'ccv3' : 'chara';
    const text = chunks[chunk];
    if (text === undefined)
      throw new PersonaError('input_unsupported', `${file} holds no character card: the PNG has no "chara" (V2) or "ccv3" (V3) tEXt chunk.`, { file });
    return { ...parseCard(parseJson(text, `${file} (${chunk} chunk)`), file), avatar: data };
  }
  return parseCard(parseJson(data.toString('utf8'), file), file);
}

function parseJson(text: string, file: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new PersonaError('input_malformed', `${file} is not valid JSON (${(error as Error).message}).`, { file });
  }
}

/** A persona id from a display name: "Mara Quill" → "mara-quill". */
export function idFromName(name: string): string {
  const id = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 63)
    .replace(/-+$/, '');
  return PERSONA_ID.test(id) ? id : 'character';
}

/** The persona file's fields for a card (defaults fill the rest: training, sampling, schedule). */
export function personaFromCard(card: Card, id: string, name = card.data.name): PersonaInput {
  const d = card.data;
  const input: PersonaInput = {
    id,
    name,
    description: d.description,
    personality: d.personality,
    scenario: d.scenario,
    system_prompt: d.system_prompt,
    post_history_instructions: d.post_history_instructions,
    ...(d.first_mes.trim() ? { greeting: d.first_mes } : {}),
    alternate_greetings: d.alternate_greetings,
    example_dialogues: d.mes_example,
    tags: d.tags,
    creator: d.creator,
    creator_notes: d.creator_notes,
    character_version: d.character_version,
    voices: { names: d.nickname && d.nickname !== name ? [d.nickname] : [] },
    sources: [`transcripts/${id}/**/*`],
  };
  return input;
}

/** The card for a persona in the requested spec (V3 adds the fields it requires). */
export function cardFromPersona(persona: Persona, spec: CardSpec): Record<string, unknown> {
  const data = {
    name: persona.name,
    description: persona.description,
    personality: persona.personality,
    scenario: persona.scenario,
    first_mes: persona.greeting ?? '',
    mes_example: persona.example_dialogues,
    creator_notes: persona.creator_notes,
    system_prompt: persona.system_prompt,
    post_history_instructions: persona.post_history_instructions,
    alternate_greetings: persona.alternate_greetings,
    tags: persona.tags,
    creator: persona.creator,
    character_version: persona.character_version,
    extensions: { persona_builder: { id: persona.id } },
  };
  if (spec === 'v2') return { spec: 'chara_card_v2', spec_version: '2.0', data };
  return { spec: 'chara_card_v3', spec_version: '3.0', data: { ...data, group_only_greetings: [] } };
}
