/**
 * The small interfaces the shared adapter middleware needs from the rest of the system.
 * The middleware is written (and contract-tested) against these only; src/app/chat-services.ts
 * implements them with the real modules (inference, store, curation, ingest), and tests may
 * pass deterministic implementations of their own. Platform adapters (Discord, Slack, studio)
 * never implement these: src/app builds one `ChatServices` and one middleware for them all.
 */
import type { Persona } from '../../personas/schema.js';
import type { TrainingOverrides } from '../../training/trainer/settings.js';
import type { SampleDraft } from '../../ingest/types.js';
import type { Platform, Speaker } from '../types.js';

/** One turn of the prompt the persona answers; `assistant` turns are the persona's own. */
export interface PromptTurn {
  role: 'user' | 'assistant';
  /** Speaker's display name (user turns) or the persona's name (assistant turns). */
  name: string;
  text: string;
}

/**
 * Operator-only knobs of one reply (the studio's compare view and its seed/temperature
 * fields); bot messages never carry them, so bots always answer with the persona's settings.
 */
export interface ReplyRequest {
  /** 'base' or a version id; default: the persona's current model. */
  model?: string;
  seed?: number;
  temperature?: number;
  maxNewTokens?: number;
}

export interface ReplyOptions {
  signal?: AbortSignal;
  /** Called with the whole reply text so far, each time it grows. */
  onText?: (textSoFar: string) => void;
  request?: ReplyRequest;
}

/** A generated reply: its text, and what the engine can tell about how it was made. */
export interface GeneratedReply {
  text: string;
  /** The model version that answered ('base' for the base model). */
  model?: string;
  /** Why generation stopped (eos, max_new_tokens, stop string…). */
  stoppedBy?: string;
  tokens?: number;
}

/**
 * Generates a persona's reply. Throws PersonaError('generation_busy') when the inference
 * queue is full (the reply queue waits and retries), anything else is a failed generation.
 */
export interface ReplyEngine {
  reply(persona: Persona, turns: PromptTurn[], options: ReplyOptions): Promise<GeneratedReply>;
  /** Replies the engine can generate at once; the global reply queue never runs more. */
  readonly concurrency?: number;
  /** Releases what the engine holds open (a remote engine's connections); the pipeline calls it when it closes. */
  close?(): Promise<void>;
}

export interface PersonaDirectory {
  list(): Persona[];
  /** Throws PersonaError('persona_not_found') naming the known ids. */
  get(id: string): Persona;
}

/** A platform message in a form the ingest sample builder understands, with its context. */
export interface CapturedMessage {
  persona: Persona;
  platform: Platform;
  /** `discord:<guild>/<channel>` style reference of the conversation. */
  ref: string;
  author: Speaker;
  messageId: string;
  text: string;
  timestamp: number;
  permalink?: string;
  /** Earlier turns in the conversation, oldest first (reply chain + recent history). */
  context: { speaker: Speaker; text: string; timestamp: number; messageId?: string }[];
}

/** Where captured messages go: pending candidates for review (curation). */
export interface CandidateSink {
  /** Stores the message as a pending candidate; returns the draft stored, or null when ingest refused it. */
  capture(message: CapturedMessage): Promise<SampleDraft | null>;
}

export type Rating = 'up' | 'down';

export interface FeedbackRecord {
  platform: Platform;
  personaId: string;
  channelId: string;
  /** The platform message the reaction was on (one part of a split reply counts for the whole). */
  messageId: string;
  /** The reply as sent, and the prompt turns it answered. */
  reply: string;
  context: PromptTurn[];
  rating: Rating;
  /** False when the reaction was removed: the rating is withdrawn. */
  added: boolean;
  user: Speaker;
  timestamp: number;
  eventId?: string;
}

export interface FeedbackSink {
  record(feedback: FeedbackRecord): Promise<void>;
}

/** Who asked not to be captured. Opting out also removes the user's pending candidates. */
export interface ConsentRegistry {
  isOptedOut(platform: Platform, userId: string): Promise<boolean>;
  /** Returns how many pending candidates of the user were removed. */
  optOut(platform: Platform, userId: string): Promise<{ removedCandidates: number }>;
  optIn(platform: Platform, userId: string): Promise<void>;
}

/**
 * A small persistent key/value space for adapter state (channel bindings from
 * `/persona use`, `/forget` marks, the log of sent replies that feedback refers to).
 * Values are JSON-serialisable. `ttlMs` lets old reply logs expire.
 */
export interface StateStore {
  get<T>(key: string): Promise<T | undefined>;
  set<T>(key: string, value: T, ttlMs?: number): Promise<void>;
  delete(key: string): Promise<void>;
}

export interface TrainingStatus {
  personaId: string;
  /** One line for humans: champion version, last run, queued/running, pending samples. */
  summary: string;
}

/** What a bot's train command may override (`persona train --lora-rank N`); checked as `persona train` checks it. */
export type BotTrainingOverrides = Pick<TrainingOverrides, 'loraRank'>;

/** The scheduler / registry side of `/train status` and `/train now`. */
export interface TrainingControl {
  status(personaId?: string): Promise<TrainingStatus[]>;
  /**
   * Queues a training run; resolves when it is queued (not when it finishes). Returns a
   * sentence. Invalid overrides throw a PersonaError before anything is queued.
   */
  trainNow(personaId: string, origin?: Platform, overrides?: BotTrainingOverrides): Promise<string>;
  /** Stops the persona's queued or running run (any process); `by` names who asked. Returns a sentence. */
  cancel(personaId: string, by: string): Promise<string>;
}

/** Everything the middleware needs; one object per process, shared by every adapter. */
export interface ChatServices {
  personas: PersonaDirectory;
  engine: ReplyEngine;
  state: StateStore;
  candidates?: CandidateSink;
  feedback?: FeedbackSink;
  consent?: ConsentRegistry;
  training?: TrainingControl;
}
