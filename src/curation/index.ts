/** Curation: samples in the store, their review state, decisions, opt-out and feedback. */
export * from './types.js';
export {
  addDrafts,
  getSample,
  requireSample,
  resolveSampleId,
  listSamples,
  sampleIds,
  countSamples,
  getManyChunked,
  type AddResult,
  type AddOptions,
} from './sample-store.js';
export { decide, revertDecision, type DecisionInput, type RevertInput, type DecisionOutcome } from './decisions.js';
export {
  decideMatching,
  matchingSamples,
  matchesFilter,
  undoLastDecision,
  type SampleFilter,
  type BulkAction,
  type BulkOutcome,
  type UndoOutcome,
} from './bulk.js';
export { optOut, optIn, isOptedOut } from './consent.js';
export { recordFeedback, listFeedback } from './feedback-store.js';
export { runIngest, type IngestRunOptions, type IngestSummary } from './ingest-run.js';
export { foldDecisions, effectiveText } from './review-state.js';
export { repairIndexes, type RepairReport } from './repair.js';
