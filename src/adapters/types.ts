/**
 * The contract between platform adapters (discord, slack, studio) and the shared
 * middleware. Adapters translate platform events into `ChatEvent` / `ReactionEvent` and
 * render replies through a `ReplyChannel`; they never decide who answers, what is
 * captured or what is rate-limited — src/adapters/middleware does, once for all. Each
 * adapter implements `PlatformAdapter` (start, stop, health), the contract src/app runs them by.
 */

export type Platform = 'discord' | 'slack' | 'studio' | 'cli';

export interface Speaker {
  /** Platform user id (Discord snowflake, Slack U…, studio session id). */
  id: string;
  /** Display name as shown on the platform; used as the speaker name in prompts. */
  name: string;
  isBot: boolean;
}

export interface ChatTurn {
  speaker: Speaker;
  text: string;
  /** Unix milliseconds. */
  timestamp: number;
  messageId?: string;
  /**
   * One of our own replies (the bot user, or one of our persona webhooks). The adapter sets
   * `speaker.name` to the persona's name for these, so memory can tell which persona spoke.
   */
  fromSelf?: boolean;
}

/** A message somebody posted where one of our bots can see it. */
export interface ChatEvent {
  platform: Platform;
  messageId: string;
  channelId: string;
  /** Discord guild or Slack team. */
  spaceId?: string;
  threadId?: string;
  author: Speaker;
  text: string;
  timestamp: number;
  isDirect: boolean;
  mentionsBot: boolean;
  repliesToBot: boolean;
  /** The message this one replies to (Discord reply, Slack thread parent), when any. */
  replyToMessageId?: string;
  /** Persona explicitly requested (slash command option, studio selector). */
  personaId?: string;
  /** Earlier turns the platform gives us (reply chain, recent channel history), oldest first. */
  history: ChatTurn[];
  /** Link back to the message on its platform, kept with captured candidates. */
  permalink?: string;
}

export interface ReactionEvent {
  platform: Platform;
  channelId: string;
  messageId: string;
  user: Speaker;
  /** Unicode emoji or Slack emoji name (e.g. 'white_check_mark'). */
  emoji: string;
  added: boolean;
  /** Platform delivery id, so a redelivered event is applied once. */
  eventId?: string;
}

/** How a reply is rendered; each adapter implements it for its platform. */
export interface ReplyChannel {
  /** Show that the persona is "typing". Called once before generation, may be a no-op. */
  typing(): Promise<void>;
  /** Called with the whole text so far; adapters throttle edits themselves. */
  update(textSoFar: string): Promise<void>;
  /**
   * The final text (may need splitting on the platform's length limit). Returns the ids of
   * the platform messages that hold the reply, so reactions on them count as feedback and
   * replies to them reach the same persona (void when the platform has no such ids).
   */
  finish(text: string): Promise<string[] | void>;
  /** A short user-facing sentence for a failure (busy, rate-limited, generation error). */
  fail(message: string): Promise<void>;
}

/** How one adapter is doing, as `/health` and `persona serve` show it. */
export interface AdapterHealth {
  name: string;
  ok: boolean;
  /** One sentence: what it is connected to or listening on, why it did not start, or that it stopped. */
  detail: string;
}

/**
 * The one contract every platform adapter implements (Discord, Slack, the studio), after
 * bolt-js's Receiver. Constructing an adapter connects to nothing; `start` connects or listens
 * and rejects with a PersonaError naming the settings to check; `stop` lets in-flight replies
 * finish and is safe before `start` or twice; `health` answers at once from what the adapter
 * knows. src/app starts, stops and reports every adapter through this and nothing else.
 */
export interface PlatformAdapter {
  readonly name: string;
  /** Where a person reaches it, when it has an address (the studio's URL). */
  readonly url?: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  health(): AdapterHealth;
}
