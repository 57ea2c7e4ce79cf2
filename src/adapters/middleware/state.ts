/**
 * Adapter state kept in the `StateStore`: which persona a channel chose (`/persona use`),
 * where a channel's memory starts (`/forget`), and the log of replies we sent (for feedback
 * and for answering replies with the same persona). Keys live here so every adapter agrees.
 * `InMemoryState` is the StateStore for tests and for processes without a store.
 */
import type { Platform } from '../types.js';
import type { PromptTurn, StateStore } from './ports.js';

const REPLY_LOG_TTL_MS = 30 * 24 * 3600 * 1000;

export interface SentReply {
  personaId: string;
  channelId: string;
  reply: string;
  context: PromptTurn[];
  /** All message ids the reply was split into. */
  messageIds: string[];
  timestamp: number;
}

/** Keys of the channels' chosen personas (renaming or removing a persona rewrites them). */
export const CHANNEL_PERSONA_PREFIX = 'channel-persona:';

export class AdapterState {
  constructor(private readonly store: StateStore) {}

  channelPersona(platform: Platform, channelId: string): Promise<string | undefined> {
    return this.store.get<string>(`${CHANNEL_PERSONA_PREFIX}${platform}:${channelId}`);
  }

  setChannelPersona(platform: Platform, channelId: string, personaId: string): Promise<void> {
    return this.store.set(`${CHANNEL_PERSONA_PREFIX}${platform}:${channelId}`, personaId);
  }

  /** Unix ms before which the channel's history is not used as memory (0: all of it). */
  async memoryStart(platform: Platform, channelId: string): Promise<number> {
    return (await this.store.get<number>(`forget:${platform}:${channelId}`)) ?? 0;
  }

  forget(platform: Platform, channelId: string, at: number): Promise<void> {
    return this.store.set(`forget:${platform}:${channelId}`, at);
  }

  async logReply(platform: Platform, reply: SentReply): Promise<void> {
    await Promise.all(reply.messageIds.map((id) => this.store.set(`reply:${platform}:${id}`, reply, REPLY_LOG_TTL_MS)));
  }

  sentReply(platform: Platform, messageId: string): Promise<SentReply | undefined> {
    return this.store.get<SentReply>(`reply:${platform}:${messageId}`);
  }
}

export class InMemoryState implements StateStore {
  private readonly values = new Map<string, { value: string; expiresAt: number }>();

  async get<T>(key: string): Promise<T | undefined> {
    const entry = this.values.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= Date.now()) {
      this.values.delete(key);
      return undefined;
    }
    return JSON.parse(entry.value) as T;
  }

  async set<T>(key: string, value: T, ttlMs?: number): Promise<void> {
    // Stored as JSON so callers cannot mutate what is stored, as with a real store.
    this.values.set(key, { value: JSON.stringify(value), expiresAt: ttlMs ? Date.now() + ttlMs : Infinity });
  }

  async delete(key: string): Promise<void> {
    this.values.delete(key);
  }
}
