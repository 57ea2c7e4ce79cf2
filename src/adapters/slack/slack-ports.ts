/**
 * What the Slack adapter needs from the rest of the system, as small interfaces. The adapter
 * is written and tested against these; `services.ts` builds them from the real modules
 * (store + curation, the shared chat middleware, the training runner).
 */
import type { ContextTurn, SampleSource } from '../../ingest/types.js';
import type { ChatMiddleware, PersonaDirectory, TrainingControl } from '../middleware/index.js';

export type ReviewStatus = 'pending' | 'approved' | 'rejected';

/** A curator's reaction, as a decision on a candidate. */
export type ReviewAction = 'approve' | 'reject' | 'edit' | 'exemplary';

/** A candidate sample as the review channel shows it. */
export interface ReviewCandidate {
  id: string;
  persona: string;
  context: ContextTurn[];
  /** The words as captured / ingested. */
  text: string;
  /** A curator's corrected text, kept beside the original. */
  editedText?: string;
  source: SampleSource;
  status: ReviewStatus;
  exemplary: boolean;
  /** Slack user id (or other actor) and unix ms of the decision that set `status`. */
  decidedBy?: string;
  decidedAt?: number;
}

export interface ReviewDecision {
  candidateId: string;
  action: ReviewAction;
  /** Slack user id of the curator. */
  by: string;
  at: number;
  /** Where it was taken, e.g. `slack:C123/1700000000.000100`. */
  where: string;
  /** Platform delivery id: a decision with an event id already applied changes nothing. */
  eventId: string;
  /** The corrected text, for `edit`. */
  text?: string;
}

export type DecisionResult =
  | { applied: true; candidate: ReviewCandidate }
  | { applied: false; reason: 'duplicate' | 'conflict' | 'not_found'; candidate?: ReviewCandidate };

export interface DatasetCounts {
  pending: number;
  approved: number;
  rejected: number;
  exemplary: number;
  edited: number;
}

/** The curation side of the review channel. */
export interface ReviewStore {
  /** Pending candidates of these personas not yet posted to the review channel, oldest first. */
  unposted(limit: number, personaIds: string[]): Promise<ReviewCandidate[]>;
  /** Remembers the Slack message that shows the candidate. */
  markPosted(candidateId: string, message: { channel: string; ts: string }): Promise<void>;
  byReviewMessage(channel: string, ts: string): Promise<ReviewCandidate | undefined>;
  decide(decision: ReviewDecision): Promise<DecisionResult>;
  /** Takes back the decision `action` taken earlier by `by` (the reaction was removed). */
  revert(decision: ReviewDecision): Promise<DecisionResult>;
  counts(personaId?: string): Promise<DatasetCounts>;
}

/** Applies a delivery once across processes (the store's atomic set-if-absent with TTL). */
export interface OnceGuard {
  /** True the first time `key` is claimed within `ttlMs`. */
  claim(key: string, ttlMs: number): Promise<boolean>;
}

export interface SlackServices {
  personas: PersonaDirectory;
  review: ReviewStore;
  once: OnceGuard;
  /** The shared chat middleware (routing, capture, rate limits, replies); absent → no chat, no capture. */
  chat?: ChatMiddleware;
  /** Training runs (issue 6); absent → `/persona train` says it is not available. */
  training?: TrainingControl;
  now?: () => number;
}
