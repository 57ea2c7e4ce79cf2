/** What the studio's routes use: the core services, the scheduler and the app's event bus. */
import type { AppEvents } from '../../app/process-events.js';
import type { Core } from '../../app/core.js';
import type { TrainingScheduler } from '../../scheduler/scheduler.js';

export interface StudioDeps {
  core: Core;
  scheduler: TrainingScheduler;
  events: AppEvents;
}
