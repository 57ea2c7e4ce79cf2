/**
 * Translates Discord messages and reactions into the shared ChatEvent / ReactionEvent.
 * Memory comes from what Discord already holds: the reply chain (followed through
 * message references) and the channel's recent messages (discord.js's cache, filled once
 * per channel from the API after start). Our own replies are marked `fromSelf` under the
 * persona's name (the webhook's username, or the `**Name:**` prefix of a plain reply).
 */
import type { Message, MessageReaction, PartialMessageReaction, PartialUser, User } from 'discord.js';
import type { ChatEvent, ChatTurn, ReactionEvent } from '../types.js';

const PREFIX = /^\*\*(.{1,80}?):\*\* /s;
/** How far back a reply chain is followed. */
const MAX_CHAIN = 8;

export interface TranslateContext {
  selfId: string;
  ownWebhookIds: ReadonlySet<string>;
  /** Recent channel messages offered as memory (the middleware trims to the model's context). */
  historyLimit: number;
}

export class DiscordTranslator {
  /** Channels whose history was fetched once; after that discord.js's cache keeps it current. */
  private readonly backfilled = new Set<string>();

  constructor(private readonly context: TranslateContext) {}

  isOwn(message: Pick<Message, 'author' | 'webhookId'>): boolean {
    return message.author?.id === this.context.selfId || (message.webhookId !== null && this.context.ownWebhookIds.has(message.webhookId));
  }

  async chatEvent(message: Message, extra: Partial<ChatEvent> = {}): Promise<ChatEvent> {
    const referenced = await this.referenced(message);
    const chain = await this.replyChain(referenced);
    const recent = await this.recentHistory(message);
    return {
      platform: 'discord',
      messageId: message.id,
      channelId: message.channelId,
      spaceId: message.guildId ?? undefined,
      author: { id: message.author.id, name: displayName(message), isBot: message.author.bot },
      text: this.cleanText(message),
      timestamp: message.createdTimestamp,
      isDirect: !message.inGuild(),
      mentionsBot: message.mentions.users.has(this.context.selfId),
      repliesToBot: referenced !== undefined && this.isOwn(referenced),
      replyToMessageId: message.reference?.messageId,
      history: [...chain, ...recent].map((m) => this.turn(m)).filter((turn): turn is ChatTurn => turn !== null),
      permalink: message.url,
      ...extra,
    };
  }

  /** The memory for a slash command (no message of its own): the channel's recent messages. */
  async channelHistory(channel: Message['channel'], before?: string): Promise<ChatTurn[]> {
    const recent = await this.recentIn(channel, before);
    return recent.map((m) => this.turn(m)).filter((turn): turn is ChatTurn => turn !== null);
  }

  reactionEvent(reaction: MessageReaction | PartialMessageReaction, user: User | PartialUser, added: boolean): ReactionEvent {
    return {
      platform: 'discord',
      channelId: reaction.message.channelId,
      messageId: reaction.message.id,
      user: { id: user.id, name: user.globalName ?? user.username ?? user.id, isBot: user.bot ?? false },
      emoji: reaction.emoji.name ?? '',
      added,
    };
  }

  /** Message text with the bot's own mention removed and other user mentions as `@name`. */
  cleanText(message: Message): string {
    return message.content
      .replace(new RegExp(`<@!?${this.context.selfId}>`, 'g'), '')
      .replace(/<@!?(\d+)>/g, (raw, id: string) => {
        const user = message.mentions.users.get(id);
        return user ? `@${user.globalName ?? user.username}` : raw;
      })
      .trim();
  }

  private turn(message: Message): ChatTurn | null {
    // A reaction on an uncached message leaves a partial in the cache: no author, no content.
    if (message.partial) return null;
    const own = this.isOwn(message);
    let name = displayName(message);
    let text = own ? message.content : this.cleanText(message);
    const prefixed = own && !message.webhookId ? PREFIX.exec(text) : null;
    if (prefixed) {
      name = prefixed[1];
      text = text.slice(prefixed[0].length);
    }
    if (!text.trim()) return null;
    return {
      speaker: { id: message.author.id, name, isBot: message.author.bot },
      text,
      timestamp: message.createdTimestamp,
      messageId: message.id,
      fromSelf: own,
    };
  }

  private async referenced(message: Message): Promise<Message | undefined> {
    const id = message.reference?.messageId;
    if (!id || message.reference?.channelId !== message.channelId) return undefined;
    return message.channel.messages.cache.get(id) ?? (await message.channel.messages.fetch(id).catch(() => undefined));
  }

  private async replyChain(start: Message | undefined): Promise<Message[]> {
    const chain: Message[] = [];
    for (let current = start; current && chain.length < MAX_CHAIN; current = await this.referenced(current)) chain.unshift(current);
    return chain;
  }

  private recentHistory(message: Message): Promise<Message[]> {
    return this.recentIn(message.channel, message.id);
  }

  private async recentIn(channel: Message['channel'], before?: string): Promise<Message[]> {
    const limit = this.context.historyLimit;
    if (limit === 0) return [];
    if (!this.backfilled.has(channel.id)) {
      this.backfilled.add(channel.id);
      await channel.messages.fetch({ limit, ...(before ? { before } : {}) }).catch(() => undefined);
    }
    return [...channel.messages.cache.values()]
      .filter((m) => !before || BigInt(m.id) < BigInt(before))
      .sort((a, b) => a.createdTimestamp - b.createdTimestamp)
      .slice(-limit);
  }
}

function displayName(message: Message): string {
  if (message.webhookId) return message.author.username;
  return message.member?.displayName ?? message.author.globalName ?? message.author.username;
}
