/**
 * The command areas of `persona`, each a module under src/cli/commands/ that registers its
 * subcommands. Loaded lazily (see program.ts): add a new area here, not as a static import.
 */
import type { Command } from 'commander';

export type Register = (program: Command) => void;
export type Areas = Record<string, () => Promise<Register>>;

export const AREAS: Areas = {
  personas: async () => (await import('./commands/personas.js')).registerPersonaCommands,
  ingest: async () => (await import('./commands/ingest.js')).registerIngestCommands,
  dataset: async () => (await import('./commands/dataset.js')).registerDatasetCommands,
  review: async () => (await import('./commands/review.js')).registerReviewCommands,
  chat: async () => (await import('./commands/chat.js')).registerChatCommands,
  train: async () => (await import('./commands/train.js')).registerTrainCommands,
  models: async () => (await import('./commands/models.js')).registerModelCommands,
  serve: async () => (await import('./commands/serve.js')).registerServeCommands,
  export: async () => (await import('./commands/export.js')).registerExportCommands,
  base: async () => (await import('./commands/base.js')).registerBaseCommands,
};
