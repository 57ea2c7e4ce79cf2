/**
 * Loaded models keyed by persona + model version, within a memory budget (MODEL_CACHE_MB),
 * evicting the least recently used idle model first. Replies hold a lease on the model they
 * started with, so swapping in a newly promoted version never disturbs them: the old entry is
 * retired at once (new replies get the new version) and disposed when its last lease ends.
 * A failed load leaves whatever was cached untouched, so the caller keeps its previous model.
 */
import { logger } from '../log.js';

export interface Disposable {
  /** Estimated resident bytes, for the budget. */
  readonly bytes: number;
  dispose(): Promise<void>;
}

interface Entry<M extends Disposable> {
  key: string;
  persona: string;
  model: M;
  leases: number;
  lastUsed: number;
  retired: boolean;
}

export interface Lease<M> {
  model: M;
  release(): void;
}

export class ModelCache<M extends Disposable> {
  private readonly entries = new Map<string, Entry<M>>();
  private readonly loading = new Map<string, Promise<Entry<M>>>();
  /** Swapped out or evicted while still leased: disposed when the last lease ends. */
  private readonly retiredEntries = new Set<Entry<M>>();
  private readonly log = logger('model-cache');
  private clock = 0;

  constructor(private readonly budgetBytes: number) {}

  /** Current (non-retired) keys, most recently used last; for status pages and tests. */
  get keys(): string[] {
    return [...this.entries.values()]
      .filter((e) => !e.retired)
      .sort((a, b) => a.lastUsed - b.lastUsed)
      .map((e) => e.key);
  }

  get residentBytes(): number {
    let total = 0;
    for (const entry of this.entries.values()) total += entry.model.bytes;
    for (const entry of this.retiredEntries) total += entry.model.bytes;
    return total;
  }

  /**
   * A lease on persona@version, loading it with `load` if needed. With `replaceOthers` (the hot
   * swap to a newly promoted version) the persona's other versions are retired once this one
   * is ready; replies still running on them finish first.
   */
  async acquire(persona: string, version: string, load: () => Promise<M>, options: { replaceOthers?: boolean } = {}): Promise<Lease<M>> {
    const key = `${persona}@${version}`;
    let entry = this.entries.get(key);
    if (!entry) {
      let pending = this.loading.get(key);
      if (!pending) {
        pending = this.load(key, persona, load);
        this.loading.set(key, pending);
      }
      try {
        entry = await pending;
      } finally {
        this.loading.delete(key);
      }
    }
    if (options.replaceOthers) this.retire(persona, key);
    entry.leases++;
    entry.lastUsed = ++this.clock;
    let released = false;
    const held = entry;
    return {
      model: entry.model,
      release: () => {
        if (released) return;
        released = true;
        held.leases--;
        if (held.retired && held.leases === 0) void this.dispose(held);
      },
    };
  }

  /** Retires every cached version of `persona` (e.g. its files changed); disposal waits for leases. */
  retire(persona: string, keepKey?: string): void {
    for (const entry of [...this.entries.values()]) {
      if (entry.persona === persona && entry.key !== keepKey) this.retireEntry(entry);
    }
  }

  async clear(): Promise<void> {
    for (const entry of [...this.entries.values()]) this.retireEntry(entry);
    await Promise.all([...this.retiredEntries].filter((e) => e.leases === 0).map((e) => this.dispose(e)));
  }

  private async load(key: string, persona: string, load: () => Promise<M>): Promise<Entry<M>> {
    const model = await load(); // throws → nothing below runs, previous versions stay cached
    const entry: Entry<M> = { key, persona, model, leases: 0, lastUsed: ++this.clock, retired: false };
    this.entries.set(key, entry);
    this.evictOverBudget(entry);
    this.log.debug({ key, bytes: model.bytes }, 'model loaded');
    return entry;
  }

  private evictOverBudget(keep: Entry<M>): void {
    const idle = [...this.entries.values()].filter((e) => e !== keep && e.leases === 0).sort((a, b) => a.lastUsed - b.lastUsed);
    while (this.residentBytes > this.budgetBytes && idle.length > 0) this.retireEntry(idle.shift()!);
    if (this.residentBytes > this.budgetBytes) {
      this.log.warn(
        { residentMb: Math.round(this.residentBytes / 2 ** 20), budgetMb: Math.round(this.budgetBytes / 2 ** 20) },
        'model cache over budget (models in use)',
      );
    }
  }

  private retireEntry(entry: Entry<M>): void {
    if (entry.retired) return;
    entry.retired = true;
    this.entries.delete(entry.key);
    this.retiredEntries.add(entry);
    if (entry.leases === 0) void this.dispose(entry);
  }

  private async dispose(entry: Entry<M>): Promise<void> {
    if (!this.retiredEntries.delete(entry)) return;
    try {
      await entry.model.dispose();
    } catch (error) {
      this.log.warn({ key: entry.key, err: error }, 'disposing a model failed');
    }
  }
}
