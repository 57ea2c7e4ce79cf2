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
  /** The source itself marks this as the persona's turn (assistant role in OpenAI / ShareGPT imports). */
  isPersona?: boolean;
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
  /** An earlier turn of the persona itself (an assistant turn when exported as chat). */
  isPersona?: boolean;
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

/** Input formats that ingest recognises (see detect.ts). */
export const FORMAT_IDS = ['transcript', 'srt', 'vtt', 'text', 'markdown', 'script', 'discord', 'slack', 'openai', 'sharegpt'] as const;
export type FormatId = (typeof FORMAT_IDS)[number];

/** What a parser makes of one file (or Slack export folder / zip). */
export interface ParsedSource {
  format: FormatId;
  /** 'import' for existing datasets (OpenAI JSONL, ShareGPT), 'file' otherwise. */
  sourceType: Extract<SourceType, 'file' | 'import'>;
  /** Chats and speaker-labelled scripts: each array is one conversation, oldest first. */
  conversations: Message[][];
  /**
   * Platform source of each conversation, aligned with `conversations`, when the export
   * names it (`discord:<guild>/<channel>`, `slack:<team>/<channel>`): samples then get the
   * same ids as live captures of the same messages, wherever the export file lives.
   */
  platformSources?: Array<{ type: 'discord' | 'slack'; ref: string } | undefined>;
  /** Monologue paragraphs (transcripts, subtitles, plain text): the file's author speaking. */
  passages: Message[];
  /** Platform user id → display name, for mentions like `<@123>` and `<@U123>`. */
  users: Record<string, string>;
  /** Platform channel / role id → name, for `<#123>` and `<@&123>`. */
  channels: Record<string, string>;
  /** Messages left out because they break the format (a wrong type, no text), each with why. */
  invalid?: InvalidMessage[];
  /** Subtitles: lines by how their speaker was decided (labelled, chosen_speaker, previous_label, unknown). */
  attribution?: Record<string, number>;
}

/** A message of a file that was skipped (the rest of the file is read). */
export interface InvalidMessage {
  /** Where in the file: message id, index or line. */
  position: string;
  reason: string;
}

/** Why `cleanText` refused a text. */
export type DropReason = 'empty' | 'too_short' | 'too_long' | 'blocked';

export type CleanResult = { text: string; redactions: Record<string, number> } | { dropped: DropReason };

/** Result of ingesting one file (or one Slack export). */
export interface FileResult {
  /** Path relative to the project root (forward slashes), or as given when it does not exist. */
  file: string;
  format: FormatId | null;
  /** New samples, cleaned and deduplicated within the batch. */
  drafts: SampleDraft[];
  /** One sentence saying why the whole file was skipped (missing, binary, malformed, …). */
  skipped?: string;
  /** Messages / passages parsed from the file. */
  messages: number;
  /** Redactions applied to the file's drafts, by kind (email, phone, card, ip, secret, mention). */
  redactions: Record<string, number>;
  /**
   * Samples dropped because an equal or near-equal sample was already in this batch, plus
   * repeated posts (the same text sent again by the same author) folded into one message.
   */
  duplicates: number;
  /** Messages of the file skipped for breaking its format, each with its reason. */
  invalid: InvalidMessage[];
  /** Subtitles: lines by how their speaker was decided. */
  attribution?: Record<string, number>;
  /** With a speaker given that said nothing in this file's conversations: who did speak, most messages first. */
  otherSpeakers?: string[];
  /** Candidate samples refused by cleaning, by reason (blocked, too_short, too_long, empty). */
  dropped: Record<string, number>;
}

export interface IngestProgress {
  file: string;
  /** 0-based index of the file about to be read, out of `total`. */
  index: number;
  total: number;
}

export interface IngestOptions {
  /** Project root: sample refs are paths relative to it; relative paths resolve against it. */
  root: string;
  /** Whose words are the targets, instead of the persona's voices (`--speaker NAME`). */
  speaker?: string;
  /** Files larger than this are skipped (default 200 MB). */
  maxBytes?: number;
  onFile?: (progress: IngestProgress) => void;
}
