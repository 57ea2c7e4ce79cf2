/**
 * Process-wide events that several parts watch: training progress and job changes (the
 * studio's live chart, Slack notifications) and champion changes (hot swap, studio).
 * Producers emit; nobody waits on listeners.
 */
import { EventEmitter } from 'node:events';
import type { ChampionChange } from '../registry/types.js';
import type { JobPhase, JobRecord } from '../scheduler/history.js';
import type { TrainingEvent } from '../training/trainer/loop.js';
import type { ReplyObservation } from '../adapters/middleware/pipeline.js';

export interface AppEventMap {
  training: [{ persona: string; event: TrainingEvent }];
  job: [JobRecord];
  phase: [{ persona: string; phase: JobPhase }];
  champion: [ChampionChange];
  /** A chat message handled by Discord, Slack or the studio, with its latencies (metrics). */
  reply: [ReplyObservation];
}

export class AppEvents extends EventEmitter<AppEventMap> {
  constructor() {
    super();
    // Every open studio tab subscribes; dozens are normal, so do not warn at 10.
    this.setMaxListeners(200);
  }
}
