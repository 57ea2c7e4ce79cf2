/**
 * What curation keeps: a stored sample (the ingest draft plus its review state and decision
 * history), decisions, and feedback on bot replies.
 */
import type { SampleDraft } from '../ingest/types.js';

export const SAMPLE_STATES = ['pending', 'approved', 'rejected'] as const;
export type SampleState = (typeof SAMPLE_STATES)[number];

/** Where a decision was taken. `ingest` is the automatic approval of a trusted source. */
export const DECISION_ORIGINS = ['cli', 'slack', 'studio', 'discord', 'ingest'] as const;
export type DecisionOrigin = (typeof DECISION_ORIGINS)[number];

/**
 * approve / reject set the state; edit keeps a corrected text beside the original and
 * approves; exemplary marks a sample to weigh more in training (and approves it);
 * unexemplary clears that mark.
 */
export const DECISION_ACTIONS = ['approve', 'reject', 'edit', 'exemplary', 'unexemplary'] as const;
export type DecisionAction = (typeof DECISION_ACTIONS)[number];

/** The platform user who wrote a captured message (used for opt-out). */
export interface Author {
  platform: string;
  id: string;
}

/** A draft as curation receives it: ingest's draft, plus its author for live captures. */
export type CandidateDraft = SampleDraft & { author?: Author };

export interface Decision {
  action: DecisionAction;
  /** Who: a user id or name (Slack U…, Discord id, local user name). */
  by: string;
  via: DecisionOrigin;
  /** Free-form place, e.g. `slack:C123/1700000000.000100`. */
  where?: string;
  /** Unix ms. */
  at: number;
  /** Platform delivery id: a decision carrying an id already seen is applied once. */
  eventId?: string;
  /** The corrected text, for `edit`. */
  text?: string;
  /** Set when the decision was taken back (e.g. the Slack reaction was removed). */
  reverted?: { at: number; by: string; eventId?: string };
}

/** What decisions change; recomputed from the initial state and the decisions not reverted. */
export interface ReviewView {
  state: SampleState;
  editedText?: string;
  exemplary: boolean;
  decidedBy?: string;
  decidedVia?: DecisionOrigin;
  decidedAt?: number;
}

export interface SampleRecord extends CandidateDraft, ReviewView {
  /** The state on arrival: approved for trusted sources, pending for captures. */
  initialState: SampleState;
  createdAt: number;
  updatedAt: number;
  history: Decision[];
}

export type Rating = 'up' | 'down';

/** A 👍/👎 on a bot reply, with the conversation it answered. */
export interface FeedbackEntry {
  persona: string;
  platform: string;
  channelId: string;
  messageId: string;
  userId: string;
  rating: Rating;
  reply: string;
  context: Array<{ role: 'user' | 'assistant'; name: string; text: string }>;
  at: number;
  eventId?: string;
}
