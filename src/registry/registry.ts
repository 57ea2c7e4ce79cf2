/**
 * The model registry: which versions a persona has, which one is the champion, and how to
 * promote, roll back, remove and prune them. Model folders live on disk under
 * DATA_DIR/models/<persona>/<version>/ (written atomically by the trainer); the records and
 * the champion pointer live in the store, so several processes agree on the champion.
 *
 * Promotion is write → verify loadable → switch: the pointer is one store write, so a crash
 * at any point leaves either the old or the new champion, both loadable. `recover()` cleans
 * what a killed process left behind.
 */
import { EventEmitter } from 'node:events';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { PersonaError } from '../errors.js';
import type { Store } from '../store/index.js';
import { removeStaleTemps } from '../util/atomic-write.js';
import type { ChampionChange, ChampionPointer, ModelVersionRecord } from './types.js';

/** Proves a model folder can serve (e.g. opens its ONNX session); throws model_corrupt otherwise. */
export type VerifyModel = (dir: string) => Promise<void>;

/** Store key of a version record (also read by job history to settle an interrupted evaluation). */
export const recordKey = (persona: string, version: string) => `model:${persona}:${version}`;
const versionsSet = (persona: string) => `models:${persona}`;
const championKey = (persona: string) => `champion:${persona}`;

export class ModelRegistry extends EventEmitter<{ champion: [ChampionChange] }> {
  constructor(
    private readonly store: Store,
    /** DATA_DIR/models */
    readonly modelsRoot: string,
    private readonly verify: VerifyModel,
  ) {
    super();
  }

  personaDir(persona: string): string {
    return join(this.modelsRoot, persona);
  }

  async register(record: Omit<ModelVersionRecord, 'status'> & { status?: ModelVersionRecord['status'] }): Promise<ModelVersionRecord> {
    if (!existsSync(record.dir))
      throw new PersonaError('model_not_found', `Cannot register ${record.version}: ${record.dir} does not exist.`, { dir: record.dir });
    const full: ModelVersionRecord = { status: 'candidate', ...record };
    await this.store.write({
      set: [{ key: recordKey(full.persona, full.version), value: full }],
      add: [{ set: versionsSet(full.persona), member: full.version }],
    });
    return full;
  }

  async get(persona: string, version: string): Promise<ModelVersionRecord> {
    const record = await this.store.get<ModelVersionRecord>(recordKey(persona, version));
    if (!record) {
      const known = await this.store.members(versionsSet(persona));
      throw new PersonaError('model_not_found', `Persona "${persona}" has no model version "${version}" (versions: ${known.join(', ') || 'none'}).`, {
        persona,
        version,
      });
    }
    return record;
  }

  /** All versions, oldest first. */
  async list(persona: string): Promise<ModelVersionRecord[]> {
    const versions = await this.store.members(versionsSet(persona));
    const records = await this.store.getMany<ModelVersionRecord>(versions.map((v) => recordKey(persona, v)));
    return records.filter((r): r is ModelVersionRecord => r !== undefined).sort((a, b) => a.version.localeCompare(b.version));
  }

  async champion(persona: string): Promise<ModelVersionRecord | null> {
    const pointer = await this.store.get<ChampionPointer>(championKey(persona));
    if (!pointer) return null;
    return (await this.store.get<ModelVersionRecord>(recordKey(persona, pointer.version))) ?? null;
  }

  /** Makes `version` the champion after proving it loads. The old champion becomes archived. */
  async promote(persona: string, version: string, note?: string): Promise<ModelVersionRecord> {
    const record = await this.get(persona, version);
    await this.verifyLoadable(record);
    const pointer = await this.store.get<ChampionPointer>(championKey(persona));
    if (pointer?.version === version) return record;
    const previous = pointer ? [pointer.version, ...pointer.previous.filter((v) => v !== pointer.version)] : [];
    await this.switchChampion(persona, record, previous, note ?? 'promoted');
    return { ...record, status: 'champion' };
  }

  /** Goes back to the previous champion (or to the base model when there is none). */
  async rollback(persona: string): Promise<ModelVersionRecord | null> {
    const pointer = await this.store.get<ChampionPointer>(championKey(persona));
    if (!pointer) throw new PersonaError('model_not_found', `Persona "${persona}" has no champion to roll back from.`, { persona });
    const current = await this.store.get<ModelVersionRecord>(recordKey(persona, pointer.version));
    for (const [index, candidate] of pointer.previous.entries()) {
      const record = await this.store.get<ModelVersionRecord>(recordKey(persona, candidate));
      if (!record || !existsSync(record.dir)) continue;
      await this.verifyLoadable(record);
      await this.switchChampion(persona, record, pointer.previous.slice(index + 1), `rolled back from ${pointer.version}`, current);
      return { ...record, status: 'champion' };
    }
    await this.store.write({
      delete: [championKey(persona)],
      set: current ? [{ key: recordKey(persona, current.version), value: { ...current, status: 'archived', note: 'rolled back to the base model' } }] : [],
    });
    this.emit('champion', { persona, version: null, dir: null });
    return null;
  }

  /** Adds evaluation metrics to a version's record. */
  async addMetrics(persona: string, version: string, metrics: Record<string, number>): Promise<void> {
    const record = await this.get(persona, version);
    await this.store.set(recordKey(persona, version), { ...record, metrics: { ...record.metrics, ...metrics } });
  }

  /** Marks a candidate as rejected by the gate, keeping its folder for inspection until pruned. */
  async reject(persona: string, version: string, note: string): Promise<void> {
    const record = await this.get(persona, version);
    await this.store.set(recordKey(persona, version), { ...record, status: 'rejected', note });
  }

  async remove(persona: string, version: string): Promise<void> {
    const pointer = await this.store.get<ChampionPointer>(championKey(persona));
    if (pointer?.version === version) {
      throw new PersonaError('invalid_argument', `${version} is the champion of "${persona}": promote or roll back to another version before removing it.`, {
        persona,
        version,
      });
    }
    const record = await this.get(persona, version);
    await this.store.write({
      delete: [recordKey(persona, version)],
      remove: [{ set: versionsSet(persona), member: version }],
      set: pointer ? [{ key: championKey(persona), value: { ...pointer, previous: pointer.previous.filter((v) => v !== version) } }] : [],
    });
    rmSync(record.dir, { recursive: true, force: true });
  }

  /** Keeps the champion and the newest `keep` other versions; removes the rest. */
  async prune(persona: string, keep: number): Promise<string[]> {
    const champion = (await this.store.get<ChampionPointer>(championKey(persona)))?.version;
    const others = (await this.list(persona)).filter((r) => r.version !== champion);
    const doomed = others.slice(0, Math.max(0, others.length - keep)).map((r) => r.version);
    for (const version of doomed) await this.remove(persona, version);
    return doomed;
  }

  /**
   * After a crash: deletes half-written version folders of dead processes, drops records whose
   * folder vanished, and moves a champion pointer off a missing folder. Returns what it fixed.
   */
  async recover(persona: string): Promise<string[]> {
    const fixed: string[] = [];
    const dir = this.personaDir(persona);
    for (const name of removeStaleTemps(dir, '.tmp-')) fixed.push(`removed unfinished ${name}`);
    const pointer = await this.store.get<ChampionPointer>(championKey(persona));
    for (const record of await this.list(persona)) {
      if (existsSync(record.dir)) continue;
      await this.store.write({ delete: [recordKey(persona, record.version)], remove: [{ set: versionsSet(persona), member: record.version }] });
      fixed.push(`dropped ${record.version} (folder missing)`);
    }
    if (pointer && !(await this.store.get(recordKey(persona, pointer.version)))) {
      await this.store.delete(championKey(persona));
      fixed.push(`champion ${pointer.version} was missing`);
      const fallback = pointer.previous.find((v) => existsSync(join(dir, v)));
      if (fallback && (await this.store.get(recordKey(persona, fallback)))) {
        await this.promote(persona, fallback, `restored after ${pointer.version} went missing`);
        fixed.push(`champion restored to ${fallback}`);
      }
    }
    return fixed;
  }

  private async verifyLoadable(record: ModelVersionRecord): Promise<void> {
    try {
      await this.verify(record.dir);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new PersonaError(
        'model_corrupt',
        `Model ${record.persona}/${record.version} does not load, so it was not made champion: ${reason}`,
        { dir: record.dir },
        { cause: error },
      );
    }
  }

  private async switchChampion(persona: string, record: ModelVersionRecord, previous: string[], note: string, demoted?: ModelVersionRecord): Promise<void> {
    const pointer: ChampionPointer = { version: record.version, promotedAt: new Date().toISOString(), previous };
    const old = demoted ?? (previous[0] ? await this.store.get<ModelVersionRecord>(recordKey(persona, previous[0])) : undefined);
    await this.store.write({
      set: [
        { key: recordKey(persona, record.version), value: { ...record, status: 'champion', note } },
        ...(old && old.version !== record.version ? [{ key: recordKey(persona, old.version), value: { ...old, status: 'archived' as const } }] : []),
        { key: championKey(persona), value: pointer },
      ],
    });
    this.emit('champion', { persona, version: record.version, dir: record.dir });
  }
}
