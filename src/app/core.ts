/**
 * The composition root shared by `persona serve` and the CLI commands that need more than
 * one module: the store, the model registry, and an inference engine whose "current model"
 * for a persona is the registry's champion (the base model until one is promoted). Promoting
 * in any process hot-swaps the engines that see the change.
 */
import type { Config } from '../config/config.js';
import { InferenceEngine } from '../inference/engine.js';
import { baseModelChoice } from '../inference/model-location.js';
import { modelsRoot } from '../modelfmt/model-paths.js';
import { loadPersona } from '../personas/load.js';
import { ModelRegistry } from '../registry/registry.js';
import { openStore, type Store } from '../store/index.js';

export interface Core {
  config: Config;
  store: Store;
  registry: ModelRegistry;
  engine: InferenceEngine;
  /** What the process measures (metrics), for the parts built later from the core (the reply engine). */
  hooks: CoreHooks;
  /** Loads the persona's current champion ahead of the next reply (a promotion made by another process). */
  preloadChampion(personaId: string): Promise<void>;
  close(): Promise<void>;
}

export interface CoreHooks {
  /** Seconds each serving model load took (metrics). */
  onModelLoad?: (seconds: number) => void;
  /** Seconds each reply sent to generator workers waited in the generate queue (metrics). */
  onGenerationWait?: (seconds: number) => void;
  /** Seconds each training job this process runs waited in the training queue (metrics). */
  onTrainingWait?: (seconds: number) => void;
}

export async function openCore(config: Config, hooks: CoreHooks = {}): Promise<Core> {
  const store = await openStore(config.storeUrl, config.storeOptions);
  let registry!: ModelRegistry;
  const engine = new InferenceEngine(config, {
    onModelLoad: hooks.onModelLoad,
    resolveCurrent: async (persona) => {
      const champion = await registry.champion(persona.id);
      return champion ? { version: champion.version, dir: champion.dir } : baseModelChoice(config, persona);
    },
  });
  registry = new ModelRegistry(store, modelsRoot(config.DATA_DIR), (dir) => engine.verifyModelFolder(dir));
  registry.on('champion', (change) => {
    if (!change.version || !change.dir) return;
    const persona = loadPersona(config.PERSONAS_DIR, change.persona);
    engine.swapTo(persona, { version: change.version, dir: change.dir }).catch(() => undefined);
  });
  return {
    config,
    store,
    registry,
    engine,
    hooks,
    async preloadChampion(personaId) {
      const champion = await registry.champion(personaId);
      if (!champion) return;
      await engine.swapTo(loadPersona(config.PERSONAS_DIR, personaId), { version: champion.version, dir: champion.dir }).catch(() => undefined);
    },
    async close() {
      await engine.dispose();
      await store.close();
    },
  };
}
