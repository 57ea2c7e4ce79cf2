/**
 * What the studio needs from the rest of the system, declared here so that the studio
 * depends on these small interfaces rather than on the app that wires it: src/app builds them
 * (src/app/adapters.ts) from the store, the registry, the scheduler, the process events and
 * the chat pipeline that Discord and Slack share.
 */
import type { Config } from '../../config/config.js';
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

/** Training runs: queue one now, re-read schedules after a persona file changed, and the queue's state. */
export type StudioTraining = Pick<TrainingScheduler, 'enqueue' | 'schedule' | 'status'>;

/** The process events the training page streams live (training progress, job records, phases, champion changes). */
export const STUDIO_EVENTS = ['training', 'job', 'phase', 'champion'] as const;
export type StudioEventName = (typeof STUDIO_EVENTS)[number];

export interface StudioEvents {
  /** Calls `listener` with each such event's name and payload (sent on as JSON) until the returned function is called. */
  follow(listener: (event: StudioEventName, payload: unknown) => void): () => void;
}

/**
 * Chat: the pipeline every adapter's messages go through (routing, rate limits, the reply
 * queue, the reply log), and where 👍/👎 on a reply is stored.
 */
export interface StudioChat {
  pipeline: Pick<ChatMiddleware, 'handleChat'>;
  feedback?: FeedbackSink;
}
