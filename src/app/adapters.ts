/**
 * Starts the platform adapters the configuration asks for. Each adapter translates its
 * platform's events into the shared middleware (src/adapters/middleware); this file only
 * decides which ones run and hands them the shared services.
 */
import type { TrainingScheduler } from '../scheduler/scheduler.js';
import type { Core } from './core.js';

export interface RunningAdapter {
  name: string;
  stop(): Promise<void>;
}

export async function startAdapters(_core: Core, _scheduler: TrainingScheduler): Promise<RunningAdapter[]> {
  return [];
}
