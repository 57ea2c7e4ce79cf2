/**
 * Creating, renaming, copying and removing a persona with everything that belongs to it: the
 * persona file and its avatar (src/personas/persona-files.ts), its samples, review indexes, feedback
 * and job history in the store, and its model versions and checkpoints on disk. Used by the
 * CLI (`persona create|rename|copy|remove`) and the studio. It lives in app/ because it
 * reaches across curation, the registry and the scheduler's records.
 *
 * Order matters for crashes: store changes are one atomic batch, folders move next, and the
 * persona file is written (or deleted) last, so an interrupted call leaves the old persona
 * whole and can simply be run again. Rename and remove hold the persona's training lock, so a
 * run never writes into a persona that is moving or disappearing.
 */
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Config } from '../config/config.js';
import { adapterStateKey } from './chat-services.js';
import { CHANNEL_PERSONA_PREFIX } from '../adapters/middleware/state.js';
import { authorSet, dedupeRecordKey, exemplarySet, feedbackSet, sampleKey, stateSet } from '../curation/keys.js';
import { SAMPLE_STATES, type SampleRecord } from '../curation/types.js';
import { PersonaError } from '../errors.js';
import { sampleId } from '../ingest/dedupe.js';
import { personaModelsDir, personaCheckpointsDir } from '../modelfmt/model-paths.js';
import { copyPersonaFile, deletePersonaFiles, requireNewId, writeNewPersona } from '../personas/persona-files.js';
import { loadPersona } from '../personas/load.js';
import type { Persona, PersonaInput } from '../personas/schema.js';
import { acquireLock, trainingLockKey } from '../scheduler/training-lock.js';
import type { Store, WriteBatch } from '../store/index.js';

export interface LifecycleDeps {
  config: Config;
  store: Store;
}

/** Key prefixes and sets holding one persona's records (besides `sample:<id>`, found through the state sets). */
const keyPrefixes = (p: string) => [dedupeRecordKey(p, ''), `feedback:${p}:`, `model:${p}:`, `job:${p}:`];
const singleKeys = (p: string) => [`champion:${p}`, `examples:${p}`];
const sets = (p: string) => [...SAMPLE_STATES.map((s) => stateSet(p, s)), exemplarySet(p), feedbackSet(p), `models:${p}`, `jobs:${p}`];
/** Channels that chose the persona with `/persona use` (Discord, Slack): they follow a rename and forget a removed persona. */
async function channelBindings(store: Store, persona: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const [key, value] of store.scan(adapterStateKey(CHANNEL_PERSONA_PREFIX))) if (value === persona) keys.push(key);
  return keys;
}
const folders = (config: Config, p: string) => [personaModelsDir(config.DATA_DIR, p), personaCheckpointsDir(config.DATA_DIR, p)];

/** Writes a new persona file (validated like every persona file); refuses an id that exists. */
export function createPersona(deps: Pick<LifecycleDeps, 'config'>, input: PersonaInput | string): Persona {
  return writeNewPersona(deps.config.PERSONAS_DIR, input);
}

/** A new persona with the same file (new id and name), avatar and samples (same review states); models and history stay. */
export async function copyPersona(deps: LifecycleDeps, id: string, newId: string, options: { name?: string } = {}): Promise<Persona> {
  const source = loadPersona(deps.config.PERSONAS_DIR, id);
  requireNewId(deps.config.PERSONAS_DIR, newId);
  const batch: Required<Pick<WriteBatch, 'set' | 'add'>> = { set: [], add: [] };
  for (const record of await samplesOf(deps.store, id)) {
    // A stable new id per (copy, original), so copying twice never collides and ids stay unique store-wide.
    const copy: SampleRecord = { ...record, id: sampleId(newId, record.id, 'copy'), persona: newId };
    batch.set.push({ key: sampleKey(copy.id), value: copy }, { key: dedupeRecordKey(newId, copy.dedupeKey), value: copy.id });
    batch.add.push({ set: stateSet(newId, copy.state), member: copy.id });
    if (copy.exemplary) batch.add.push({ set: exemplarySet(newId), member: copy.id });
    if (copy.author) batch.add.push({ set: authorSet(copy.author.platform, copy.author.id), member: copy.id });
  }
  await deps.store.write(batch);
  return copyPersonaFile(deps.config.PERSONAS_DIR, source, newId, { name: options.name ?? `${source.name} (copy)` });
}

/**
 * Changes a persona's display name and, with `newId`, its id: every store record, model
 * version folder, checkpoint, the avatar and the persona file move to the new id.
 */
export async function renamePersona(deps: LifecycleDeps, id: string, change: { name?: string; newId?: string }): Promise<Persona> {
  const persona = loadPersona(deps.config.PERSONAS_DIR, id);
  const newId = change.newId && change.newId !== id ? change.newId : undefined;
  if (!newId) return copyPersonaFile(deps.config.PERSONAS_DIR, persona, id, { name: change.name ?? persona.name, replace: true });
  requireNewId(deps.config.PERSONAS_DIR, newId);
  return withTrainingLock(deps.store, id, async () => {
    await moveStoreRecords(deps, id, newId);
    const moved: Array<[string, string]> = [];
    try {
      for (const [from, to] of folders(deps.config, id).map((dir, i) => [dir, folders(deps.config, newId)[i]])) {
        if (!existsSync(from)) continue;
        mkdirSync(dirname(to), { recursive: true });
        renameSync(from, to);
        moved.push([from, to]);
      }
    } catch (error) {
      // Put everything back, so the persona stays whole under its old id.
      for (const [from, to] of moved.reverse()) renameSync(to, from);
      await moveStoreRecords(deps, newId, id);
      throw error;
    }
    const renamed = copyPersonaFile(deps.config.PERSONAS_DIR, persona, newId, { name: change.name ?? persona.name });
    deletePersonaFiles(deps.config.PERSONAS_DIR, persona);
    return renamed;
  });
}

/** What removing the persona would delete, for a confirmation question (CLI prompt, studio dialog). */
export async function personaDataSummary(deps: LifecycleDeps, id: string): Promise<{ samples: number; versions: number }> {
  const sizes = await Promise.all(SAMPLE_STATES.map((state) => deps.store.size(stateSet(id, state))));
  return { samples: sizes.reduce((a, b) => a + b, 0), versions: await deps.store.size(`models:${id}`) };
}

export interface RemovalSummary {
  persona: string;
  samples: number;
  versions: number;
  /** Files and folders deleted, for the CLI to print. */
  deleted: string[];
}

/** Deletes a persona and its data: samples, feedback, jobs and model records in the store; model, checkpoint and upload folders; avatar and file. */
export async function removePersona(deps: LifecycleDeps, id: string): Promise<RemovalSummary> {
  const persona = loadPersona(deps.config.PERSONAS_DIR, id);
  return withTrainingLock(deps.store, id, async () => {
    const samples = await samplesOf(deps.store, id);
    const versions = await deps.store.size(`models:${id}`);
    const batch: Required<Pick<WriteBatch, 'delete' | 'remove'>> = {
      delete: [...singleKeys(id), ...samples.map((s) => sampleKey(s.id)), ...(await channelBindings(deps.store, id))],
      remove: [],
    };
    for (const prefix of keyPrefixes(id)) for await (const [key] of deps.store.scan(prefix)) batch.delete.push(key);
    for (const set of sets(id)) for (const member of await deps.store.members(set)) batch.remove.push({ set, member });
    for (const s of samples) if (s.author) batch.remove.push({ set: authorSet(s.author.platform, s.author.id), member: s.id });
    await deps.store.write(batch);
    const deleted = [...folders(deps.config, id), join(deps.config.TRANSCRIPTS_DIR, id, 'uploads')].filter((dir) => existsSync(dir));
    for (const dir of deleted) rmSync(dir, { recursive: true, force: true });
    deleted.push(...deletePersonaFiles(deps.config.PERSONAS_DIR, persona));
    return { persona: id, samples: samples.length, versions, deleted };
  });
}

async function samplesOf(store: Store, persona: string): Promise<SampleRecord[]> {
  const ids = [...new Set((await Promise.all(SAMPLE_STATES.map((state) => store.members(stateSet(persona, state))))).flat())];
  const records = await store.getMany<SampleRecord>(ids.map(sampleKey));
  return records.filter((r): r is SampleRecord => r !== undefined);
}

/** Re-keys every record of `from` under `to` in one atomic batch; `persona` fields and model folder paths follow. */
async function moveStoreRecords(deps: LifecycleDeps, from: string, to: string): Promise<void> {
  const batch: Required<Pick<WriteBatch, 'set' | 'delete' | 'add' | 'remove'>> = { set: [], delete: [], add: [], remove: [] };
  const oldModels = personaModelsDir(deps.config.DATA_DIR, from);
  const newModels = personaModelsDir(deps.config.DATA_DIR, to);
  const retarget = (value: unknown): unknown => {
    if (!value || typeof value !== 'object' || Array.isArray(value)) return value;
    const moved: Record<string, unknown> = { ...(value as Record<string, unknown>) };
    if (moved.persona === from) moved.persona = to;
    if (typeof moved.dir === 'string' && moved.dir.startsWith(oldModels)) moved.dir = newModels + moved.dir.slice(oldModels.length);
    return moved;
  };
  for (const record of await samplesOf(deps.store, from)) batch.set.push({ key: sampleKey(record.id), value: { ...record, persona: to } });
  // `<kind>:<persona>[:<rest>]` → same kind and rest under the new persona.
  const rekey = (key: string) => {
    const kind = key.slice(0, key.indexOf(':') + 1);
    return kind + to + key.slice(kind.length + from.length);
  };
  const move = (key: string, value: unknown) => {
    batch.set.push({ key: rekey(key), value: retarget(value) });
    batch.delete.push(key);
  };
  for (const prefix of keyPrefixes(from)) for await (const [key, value] of deps.store.scan(prefix)) move(key, value);
  for (const key of singleKeys(from)) {
    const value = await deps.store.get(key);
    if (value !== undefined) move(key, value);
  }
  for (const key of await channelBindings(deps.store, from)) batch.set.push({ key, value: to });
  for (const set of sets(from)) {
    for (const member of await deps.store.members(set)) {
      batch.add.push({ set: rekey(set), member });
      batch.remove.push({ set, member });
    }
  }
  await deps.store.write(batch);
}

async function withTrainingLock<T>(store: Store, persona: string, run: () => Promise<T>): Promise<T> {
  const lock = await acquireLock(store, trainingLockKey(persona));
  if (!lock)
    throw new PersonaError('training_locked', `Persona "${persona}" is being trained right now; wait until the run ends (or cancel it) and try again.`, {
      persona,
    });
  try {
    return await run();
  } finally {
    await lock.release();
  }
}
