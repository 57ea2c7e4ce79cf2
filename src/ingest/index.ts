/**
 * Ingest: files and chat messages → clean, redacted, deduplicated SampleDrafts.
 * The store, curation and the `persona ingest` command build on this API.
 */
export type * from './types.js';
export { FORMAT_IDS } from './types.js';
export { detectFormat } from './detect.js';
export { parseSource, DEFAULT_MAX_BYTES, type ParseOptions } from './parse.js';
export { buildSamples, buildMonologueSamples, draftFromChat, voiceMatcher, type BuildOptions, type BuildStats } from './messages-to-samples.js';
export { cleanText, cleanRules, type CleanRules } from './clean.js';
export { dedupeKey, sampleId } from './dedupe.js';
export { ingestPaths, expandPaths, sourceRef } from './ingest-batch.js';
export { isSlackExportDir } from './formats/slack.js';
