/**
 * Store keys and index sets of curation, in one place. Sample ids hash the persona, source
 * and position, so a sample is found by id alone; per-persona state sets make "list the
 * pending samples of fdr" one set read on both backends.
 */
import type { SampleState } from './types.js';

export const sampleKey = (id: string) => `sample:${id}`;
export const stateSet = (persona: string, state: SampleState) => `idx:${persona}:${state}`;
export const exemplarySet = (persona: string) => `idx:${persona}:exemplary`;
export const dedupeRecordKey = (persona: string, dedupeKey: string) => `dedupe:${persona}:${dedupeKey}`;
export const authorSet = (platform: string, userId: string) => `idx:author:${platform}:${userId}`;
export const optOutKey = (platform: string, userId: string) => `optout:${platform}:${userId}`;
export const sampleLock = (id: string) => `lock:sample:${id}`;
export const feedbackKey = (persona: string, platform: string, messageId: string, userId: string) => `feedback:${persona}:${platform}:${messageId}:${userId}`;
export const feedbackSet = (persona: string) => `idx:${persona}:feedback`;
