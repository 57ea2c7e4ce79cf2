/**
 * The adapter middleware's ports implemented with the real modules: personas from
 * PERSONAS_DIR, replies from the inference engine, adapter state / candidates / feedback /
 * opt-out in the store (through curation), and `/train` through the scheduler and the model
 * registry. `servingChat` is the wiring `persona serve` and a Discord shard use; the
 * engine that generates every bot and studio reply is chosen there, in `replyEngineFor`.
 */
// Curation's parts one by one: its index also loads the whole ingest pipeline (runIngest), not needed here.
import { isOptedOut, optIn, optOut } from '../curation/consent.js';
import { recordFeedback } from '../curation/feedback-store.js';
import { addDrafts, countSamples } from '../curation/sample-store.js';
import type { InferenceEngine } from '../inference/engine.js';
import { draftFromChat } from '../ingest/index.js';
import type { Message, SampleDraft } from '../ingest/types.js';
import { cancelTraining } from '../scheduler/cancel.js';
import { loadAllPersonas, loadPersona } from '../personas/load.js';
import type { Persona } from '../personas/schema.js';
import type { ModelRegistry } from '../registry/registry.js';
import type { TrainingScheduler } from '../scheduler/scheduler.js';
import type { Store } from '../store/index.js';
import type { Platform } from '../adapters/types.js';
import { ChatMiddleware, type ChatMiddlewareOptions } from '../adapters/middleware/pipeline.js';
import type { Core } from './core.js';
import { generatesRemotely, RemoteEngine } from './remote-engine.js';
import { serveRoles } from './roles.js';
import type {
  BotTrainingOverrides,
  CandidateSink,
  CapturedMessage,
  ChatServices,
  ConsentRegistry,
  FeedbackRecord,
  FeedbackSink,
  GeneratedReply,
  PersonaDirectory,
  PromptTurn,
  ReplyEngine,
  ReplyOptions,
  StateStore,
  TrainingControl,
  TrainingStatus,
} from '../adapters/middleware/ports.js';

/** Persona files, re-read at most every `refreshMs` so edits show up without a restart. */
export class PersonaFiles implements PersonaDirectory {
  private cached: { at: number; personas: Persona[] } | undefined;
  constructor(
    private readonly dir: string,
    private readonly refreshMs = 5000,
  ) {}
  list(): Persona[] {
    if (!this.cached || Date.now() - this.cached.at > this.refreshMs) this.cached = { at: Date.now(), personas: loadAllPersonas(this.dir) };
    return this.cached.personas;
  }
  get(id: string): Persona {
    return this.list().find((persona) => persona.id === id) ?? loadPersona(this.dir, id);
  }
}

/**
 * The inference engine as a ReplyEngine: prompt turns become speaker-named turns, deltas the
 * text so far, and a request's operator knobs (studio) become the engine's model choice and
 * sampling overrides.
 */
export class EngineReplies implements ReplyEngine {
  constructor(
    private readonly engine: Pick<InferenceEngine, 'replyAs'> & { close?(): Promise<void> },
    readonly concurrency = 1,
  ) {}

  async close(): Promise<void> {
    await this.engine.close?.();
  }

  async reply(persona: Persona, turns: PromptTurn[], { signal, onText, request = {} }: ReplyOptions): Promise<GeneratedReply> {
    let soFar = '';
    const reply = await this.engine.replyAs(
      persona,
      turns.map((turn) => ({ speaker: turn.role === 'assistant' ? persona.name : turn.name, text: turn.text })),
      {
        signal,
        model: request.model,
        overrides: { seed: request.seed, temperature: request.temperature, max_new_tokens: request.maxNewTokens },
        onDelta: (delta) => {
          if (!delta.text) return;
          soFar += delta.text;
          onText?.(soFar);
        },
      },
    );
    return { text: reply.text, model: reply.model.version, stoppedBy: reply.stoppedBy, tokens: reply.tokens.length };
  }
}

/** The shared store's key for an adapter state key. */
export const adapterStateKey = (key: string) => `adapter:${key}`;

/** Adapter state under the `adapter:` prefix of the shared store. */
export class StoreState implements StateStore {
  constructor(private readonly store: Store) {}
  get<T>(key: string) {
    return this.store.get<T>(adapterStateKey(key));
  }
  set<T>(key: string, value: T, ttlMs?: number) {
    return this.store.set(adapterStateKey(key), value, ttlMs);
  }
  async delete(key: string) {
    await this.store.delete(adapterStateKey(key));
  }
}

/** Captured messages → ingest's cleaning/redaction (draftFromChat) → pending candidates. */
export class CurationCandidates implements CandidateSink {
  constructor(private readonly store: Store) {}
  async capture(message: CapturedMessage): Promise<SampleDraft | null> {
    const asMessage = (speaker: CapturedMessage['author'], text: string, timestamp: number, position: string): Message => ({
      speaker: speaker.name,
      speakerId: speaker.id,
      text,
      timestamp,
      position,
      isBot: speaker.isBot,
    });
    const draft = draftFromChat(
      message.persona,
      asMessage(message.author, message.text, message.timestamp, message.messageId),
      message.context.map((turn, i) => asMessage(turn.speaker, turn.text, turn.timestamp, turn.messageId ?? `context-${i}`)),
      {
        type: message.platform === 'slack' ? 'slack' : 'discord',
        ref: message.ref,
        position: message.messageId,
        url: message.permalink,
        timestamp: message.timestamp,
      },
    );
    if ('dropped' in draft) return null;
    const result = await addDrafts(this.store, [{ ...draft, author: { platform: message.platform, id: message.author.id } }]);
    return result.added.length > 0 ? draft : null;
  }
}

export class CurationFeedback implements FeedbackSink {
  constructor(private readonly store: Store) {}
  record(feedback: FeedbackRecord): Promise<void> {
    return recordFeedback(this.store, {
      persona: feedback.personaId,
      platform: feedback.platform,
      channelId: feedback.channelId,
      messageId: feedback.messageId,
      userId: feedback.user.id,
      rating: feedback.rating,
      reply: feedback.reply,
      context: feedback.context,
      at: feedback.timestamp,
      eventId: feedback.eventId,
      added: feedback.added,
    });
  }
}

export class CurationConsent implements ConsentRegistry {
  constructor(private readonly store: Store) {}
  isOptedOut(platform: Platform, userId: string) {
    return isOptedOut(this.store, platform, userId);
  }
  optOut(platform: Platform, userId: string) {
    return optOut(this.store, platform, userId);
  }
  optIn(platform: Platform, userId: string) {
    return optIn(this.store, platform, userId);
  }
}

/** `/train`: the champion, pending samples and queue position per persona; runs go to the scheduler's queue. */
export class SchedulerTraining implements TrainingControl {
  constructor(
    private readonly personas: PersonaDirectory,
    private readonly scheduler: Pick<TrainingScheduler, 'startNow' | 'status'>,
    private readonly registry: Pick<ModelRegistry, 'champion'>,
    private readonly store: Store,
  ) {}

  async status(personaId?: string): Promise<TrainingStatus[]> {
    const ids = personaId ? [personaId] : this.personas.list().map((persona) => persona.id);
    const { waiting, running } = this.scheduler.status;
    return Promise.all(
      ids.map(async (id) => {
        const [champion, counts] = await Promise.all([this.registry.champion(id), countSamples(this.store, id)]);
        const state = running.includes(id) ? 'training now' : waiting.includes(id) ? 'queued' : 'idle';
        const model = champion ? `model ${champion.version}` : 'base model';
        return { personaId: id, summary: `${model}, ${state}, ${counts.approved} approved / ${counts.pending} pending samples` };
      }),
    );
  }

  async trainNow(personaId: string, origin: Platform = 'cli', overrides: BotTrainingOverrides = {}): Promise<string> {
    const reason = origin === 'discord' || origin === 'slack' || origin === 'studio' ? origin : 'manual';
    const given = overrides.loraRank !== undefined;
    // Checked as `persona train` checks it (settings, then the memory plan) before any job exists;
    // the command answers as soon as the run is queued, not when it finishes (minutes).
    this.scheduler.startNow(this.personas.get(personaId), { reason, force: true, ...(given ? { overrides } : {}) });
    return `Training of ${personaId}${given ? ` (LoRA rank ${overrides.loraRank})` : ''} is queued; /train status shows its progress.`;
  }

  async cancel(personaId: string, by: string): Promise<string> {
    const { waiting, running } = this.scheduler.status;
    const outcome = await cancelTraining(this.store, personaId, by, waiting.includes(personaId) || running.includes(personaId));
    if (!outcome.requested) return `Nothing to cancel: ${outcome.reason}.`;
    return `Cancelling training of ${personaId}: it stops after the current step and keeps a checkpoint; no new version is written.`;
  }
}

export interface RealServices {
  personasDir: string;
  store: Store;
  /** What generates replies: an in-process InferenceEngine, or any ReplyEngine. */
  engine: Pick<InferenceEngine, 'replyAs'> | ReplyEngine;
  /** Present in `persona serve`; without it `/train` says training is not available here. */
  scheduler?: Pick<TrainingScheduler, 'startNow' | 'status'>;
  registry?: Pick<ModelRegistry, 'champion'>;
}

export function createChatServices({ personasDir, store, engine, scheduler, registry }: RealServices): ChatServices {
  const personas = new PersonaFiles(personasDir);
  return {
    personas,
    engine: 'reply' in engine ? engine : new EngineReplies(engine),
    state: new StoreState(store),
    candidates: new CurationCandidates(store),
    feedback: new CurationFeedback(store),
    consent: new CurationConsent(store),
    training: scheduler && registry ? new SchedulerTraining(personas, scheduler, registry, store) : undefined,
  };
}

/**
 * The engine behind every bot and studio reply of a serving process. This is the one place
 * that chooses it: the in-process inference engine of the core, or, for a bots process
 * without the generator role over Redis, generator workers (src/app/remote-engine.ts), with
 * as many replies in flight as GENERATION_MAX_QUEUE (they wait for workers in the queue).
 */
export function replyEngineFor(core: Pick<Core, 'engine' | 'config' | 'hooks'>): ReplyEngine {
  const url = generatesRemotely(core.config, serveRoles(core.config));
  if (url) return new EngineReplies(new RemoteEngine(url, core.config, core.hooks.onGenerationWait), Math.max(1, core.config.GENERATION_MAX_QUEUE));
  return new EngineReplies(core.engine);
}

/**
 * The chat pipeline of a serving process (`persona serve`, a Discord shard): one middleware
 * over the real services, shared by every adapter so that one reply queue and one set of rate
 * limits cover Discord, Slack and the studio. At most GENERATION_MAX_QUEUE replies wait for
 * the model before a new one is told the bot is busy.
 */
export function servingChat(core: Core, scheduler: Pick<TrainingScheduler, 'startNow' | 'status'>, observe?: ChatMiddlewareOptions['observe']): ChatMiddleware {
  const services = createChatServices({
    personasDir: core.config.PERSONAS_DIR,
    store: core.store,
    engine: replyEngineFor(core),
    scheduler,
    registry: core.registry,
  });
  return new ChatMiddleware(services, { observe, queue: { maxWaiting: core.config.GENERATION_MAX_QUEUE } });
}
