/** What the studio's routes receive: the ports of ./ports.ts, built by src/app. */
import type { StudioChat, StudioData, StudioEvents, StudioPersonaOps, StudioTraining } from './ports.js';

export interface StudioDeps {
  data: StudioData;
  scheduler: StudioTraining;
  events: StudioEvents;
  chat: StudioChat;
  personas: StudioPersonaOps;
}
