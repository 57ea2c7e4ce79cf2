/**
 * What ingest produces and the store keeps. Parsers turn files and platform messages into
 * `Message`s; the sample builder turns a conversation of messages into `SampleDraft`s whose
 * target text is one of the persona's voices.
 */

/** One utterance, after parsing and before cleaning. */
export interface Message {
  speaker: string;
  /** Platform user id when known (Discord/Slack), used to match persona voices. */
  speakerId?: string;
  text: string;
  /** Unix milliseconds when known; transcripts use offsets from the start of the file. */
  timestamp?: number;
  /** Stable position inside its source: platform message id, or line/cue/paragraph index. */
  position: string;
  isBot?: boolean;
}

export type SourceType = 'file' | 'discord' | 'slack' | 'studio' | 'import';

export interface SampleSource {
  type: SourceType;
  /** File path relative to the project, or `discord:<guild>/<channel>`, `slack:<team>/<channel>`. */
  ref: string;
  /** Position of the target message inside the source (see Message.position). */
  position: string;
  url?: string;
  timestamp?: number;
}

export interface ContextTurn {
  speaker: string;
  text: string;
}

export type SampleKind = 'monologue' | 'conversation';

/** A sample ready to store: cleaned, redacted, with a stable id. */
export interface SampleDraft {
  /** Stable id derived from the source (ref + position), so re-ingest adds nothing. */
  id: string;
  persona: string;
  kind: SampleKind;
  /** Earlier turns, oldest first; empty for monologue passages. */
  context: ContextTurn[];
  /** The persona's words: the training target. */
  text: string;
  speaker: string;
  source: SampleSource;
  /** Normalised content hash used for exact and near-duplicate removal. */
  dedupeKey: string;
  /** How many of each kind of redaction were applied (email, phone, card, ip, secret, mention, blocked). */
  redactions: Record<string, number>;
}
