/**
 * What the studio needs from the rest of the system, declared here so that the studio
 * depends on these small interfaces rather than on the app that wires it: src/app builds them
 * (src/app/adapters.ts) from the store, the registry, the scheduler, the process events and
 * the chat pipeline that Discord and Slack share.
 */
import type { Config } from '../../config/config.js';
import type { CardSpec } from '../../personas/character-card.js';
import type { Persona } from '../../personas/schema.js';
import type { ModelRegistry } from '../../registry/registry.js';
import type { TrainingScheduler } from '../../scheduler/scheduler.js';
import type { Store } from '../../store/index.js';
import type { ChatMiddleware, FeedbackSink } from '../middleware/index.js';

/** The data the studio's pages read and write: settings, the store (samples, jobs), model versions. */
export interface StudioData {
  config: Config;
  store: Store;
  registry: Pick<ModelRegistry, 'list' | 'champion' | 'promote' | 'remove' | 'rollback'>;
}

/** Training runs: start one now (checked before it is queued), re-read schedules after a persona file changed, and the queue's state. */
export type StudioTraining = Pick<TrainingScheduler, 'startNow' | 'schedule' | 'status'>;

/** The process events the training page streams live (training progress, job records, phases, champion changes). */
export const STUDIO_EVENTS = ['training', 'job', 'phase', 'champion'] as const;
export type StudioEventName = (typeof STUDIO_EVENTS)[number];

export interface StudioEvents {
  /** Calls `listener` with each such event's name and payload (sent on as JSON) until the returned function is called. */
  follow(listener: (event: StudioEventName, payload: unknown) => void): () => void;
}

/**
 * Whole-persona operations, with everything that belongs to a persona (samples, feedback, jobs,
 * model versions, avatar), done exactly as the CLI does them. Summaries go to the page as JSON.
 */
export interface StudioPersonaOps {
  rename(id: string, change: { newId?: string; name?: string }): Promise<Persona>;
  copy(id: string, newId: string, options: { name?: string }): Promise<Persona>;
  /** What removing would delete: the confirmation names it. */
  dataSummary(id: string): Promise<{ samples: number; versions: number }>;
  remove(id: string): Promise<object>;
  /** A character card upload (PNG or JSON) becomes a persona; `id`/`name` when the card's are taken. */
  importCard(upload: { bytes: Uint8Array; name: string }, options: { id?: string; name?: string }): Promise<object>;
  cardContents(id: string, format: 'png' | 'json', spec: CardSpec): Uint8Array | string;
}

/**
 * Chat: the pipeline every adapter's messages go through (routing, rate limits, the reply
 * queue, the reply log), and where 👍/👎 on a reply is stored.
 */
export interface StudioChat {
  pipeline: Pick<ChatMiddleware, 'handleChat'>;
  feedback?: FeedbackSink;
}
