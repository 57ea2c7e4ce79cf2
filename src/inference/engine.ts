/**
 * The one entry point bots, the studio and `persona chat` call: `engine.replyAs(persona,
 * turns, options)`. It picks the persona's model (its current one — the registry's champion
 * as wired in src/app/core.ts, by default the newest version folder — a pinned version, or
 * base), leases it from the cache, fits the conversation into the context window, waits for the
 * model's queue, and generates an in-character reply with the persona's sampling settings.
 *
 * Hot swap: when the persona's current model changes (a new version was trained or promoted),
 * the next reply loads it and retires the old one, which finishes the replies already running
 * on it. If the new model fails to load, replies keep using the previous one.
 */
import type { Config } from '../config/config.js';
import { isPersonaError } from '../errors.js';
import { logger } from '../log.js';
import type { Persona } from '../personas/schema.js';
import { buildPrompt, type Turn } from './prompt-context.js';
import { generate, type GenerationDelta, type StoppedBy } from './generate.js';
import { checkGenerationParams, mergeGenerationParams, type GenerationParams } from './generation-params.js';
import { loadInferenceModel, type LoadedModel } from './loaded-model.js';
import { onnxCacheDir } from '../modelfmt/onnx/folder-graph.js';
import { ModelCache, type Lease } from './model-cache.js';
import { resolveModelChoice, type ModelChoice } from './model-location.js';
import { ModelQueue } from './model-queue.js';
import { StopStrings } from './stop-strings.js';

export interface ReplyOptions {
  signal?: AbortSignal;
  onDelta?: (delta: GenerationDelta) => void;
  /** Per-call sampling overrides (HF names), on top of generation_config.json and the persona file. */
  overrides?: Partial<GenerationParams>;
  /** 'base' or a version id; default: the persona's current model. */
  model?: string;
}

export interface Reply {
  text: string;
  tokens: number[];
  stoppedBy: StoppedBy;
  model: ModelChoice;
  promptTokens: number;
  turnsKept: number;
}

export interface EngineOptions {
  /** Where a persona's current model is (e.g. the registry's champion); default: newest version folder, else base. */
  resolveCurrent?: (persona: Persona) => ModelChoice | Promise<ModelChoice>;
  /** Told each time a model folder is loaded for serving, with the seconds it took (metrics). */
  onModelLoad?: (seconds: number) => void;
}

/** The persona file's `sampling:` block in HF terms (bad words become token id sequences per model). */
function personaParams(persona: Persona, model: LoadedModel): Partial<GenerationParams> {
  const { bad_words, ...rest } = persona.sampling;
  // HF's advice for bad_words_ids: ban the word with and without a leading space.
  const bad_words_ids = bad_words.flatMap((word) => [word, ` ${word}`].map((w) => model.tokenizer.encode(w))).filter((ids) => ids.length > 0);
  return { ...rest, bad_words_ids };
}

export class InferenceEngine {
  private readonly cache: ModelCache<LoadedModel>;
  private readonly queues = new Map<string, ModelQueue>();
  private readonly current = new Map<string, ModelChoice>();
  private readonly log = logger('inference');

  constructor(
    private readonly config: Config,
    private readonly options: EngineOptions = {},
  ) {
    this.cache = new ModelCache(config.MODEL_CACHE_MB * 2 ** 20);
  }

  async replyAs(persona: Persona, turns: Turn[], options: ReplyOptions = {}): Promise<Reply> {
    const { lease, choice } = await this.leaseModel(persona, options.model);
    try {
      const model = lease.model;
      const params = checkGenerationParams(
        mergeGenerationParams(model.generationDefaults, personaParams(persona, model), options.overrides),
        `sampling settings of persona "${persona.id}"`,
      );
      const prompt = buildPrompt(model, persona, turns, params.max_new_tokens);
      const stopStrings = new StopStrings(params.stop, prompt.otherSpeakers);
      const result = await this.queueFor(`${persona.id}@${choice.version}`).run(
        () =>
          generate(model.session, prompt.ids, {
            params,
            tokenizer: model.tokenizer,
            eosTokenIds: model.eosTokenIds,
            stopStrings,
            signal: options.signal,
            onDelta: options.onDelta,
          }),
        options.signal,
      );
      return { ...result, model: choice, promptTokens: prompt.ids.length, turnsKept: prompt.turnsKept };
    } finally {
      lease.release();
    }
  }

  /** persona@version of the models currently cached (retired ones excluded), least recently used first. */
  get loadedModels(): string[] {
    return this.cache.keys;
  }

  /**
   * Hot swap ahead of the next reply (e.g. on the registry's champion event): loads `choice`
   * and retires the persona's other versions once their running replies finish. A model that
   * fails to load throws here and the previous one keeps serving.
   */
  async swapTo(persona: Persona, choice: ModelChoice): Promise<void> {
    const lease = await this.cache.acquire(persona.id, choice.version, this.loader(choice), { replaceOthers: true });
    this.current.set(persona.id, choice);
    lease.release();
  }

  /** Loads `dir` once to prove it can serve (for the registry's promote step); throws model_corrupt otherwise. */
  async verifyModelFolder(dir: string): Promise<void> {
    const model = await loadInferenceModel(dir, { threads: this.config.ORT_THREADS }, onnxCacheDir(this.config.DATA_DIR));
    await model.dispose();
  }

  async dispose(): Promise<void> {
    await this.cache.clear();
  }

  private async leaseModel(persona: Persona, requested: string | undefined): Promise<{ lease: Lease<LoadedModel>; choice: ModelChoice }> {
    if (requested !== undefined) {
      const choice = resolveModelChoice(this.config, persona, requested);
      return { lease: await this.cache.acquire(persona.id, choice.version, this.loader(choice)), choice };
    }
    const choice = (await this.options.resolveCurrent?.(persona)) ?? resolveModelChoice(this.config, persona);
    const previous = this.current.get(persona.id);
    try {
      const lease = await this.cache.acquire(persona.id, choice.version, this.loader(choice), { replaceOthers: true });
      this.current.set(persona.id, choice);
      return { lease, choice };
    } catch (error) {
      if (!previous || previous.version === choice.version || !isPersonaError(error)) throw error;
      this.log.error(
        { persona: persona.id, version: choice.version, code: error.code, err: error.message },
        'new model failed to load; keeping the previous one',
      );
      return { lease: await this.cache.acquire(persona.id, previous.version, this.loader(previous)), choice: previous };
    }
  }

  private loader(choice: ModelChoice): () => Promise<LoadedModel> {
    return async () => {
      const started = performance.now();
      const model = await loadInferenceModel(choice.dir, { threads: this.config.ORT_THREADS }, onnxCacheDir(this.config.DATA_DIR));
      this.options.onModelLoad?.((performance.now() - started) / 1000);
      return model;
    };
  }

  private queueFor(key: string): ModelQueue {
    let queue = this.queues.get(key);
    if (!queue) {
      queue = new ModelQueue({ concurrency: 1, maxWaiting: this.config.GENERATION_MAX_QUEUE, maxWaitMs: this.config.GENERATION_MAX_WAIT_MS }, `model ${key}`);
      this.queues.set(key, queue);
    }
    return queue;
  }
}
