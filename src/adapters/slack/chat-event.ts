/**
 * Translates a Slack message into the shared `ChatEvent`: who wrote it (display names from
 * users.info, cached), whether it addresses the bot (DM, mention, a thread under one of the
 * bot's messages), and the turns before it — the thread for a threaded message, the recent
 * channel history otherwise — which the middleware uses as reply memory and capture context.
 */
import type { ChatEvent, ChatTurn, Speaker } from '../types.js';
import type { SlackClient } from './bolt-app.js';

/** Turns fetched before a message; the middleware keeps what its memory needs. */
const HISTORY_LIMIT = 12;
const NAME_CACHE_MS = 60 * 60 * 1000;

/** The fields of a Slack `message` / `app_mention` event the adapter reads. */
export interface SlackMessage {
  channel: string;
  channel_type?: string;
  user?: string;
  bot_id?: string;
  text?: string;
  ts: string;
  thread_ts?: string;
  team?: string;
}

interface HistoryMessage {
  user?: string;
  bot_id?: string;
  username?: string;
  text?: string;
  ts?: string;
}

export class ChatEventBuilder {
  private readonly names = new Map<string, { name: string; at: number }>();

  constructor(
    private readonly client: SlackClient,
    private readonly bot: { userId: string; teamId: string },
    /** Name of the persona that sent one of our earlier replies (from the middleware's reply log). */
    private readonly personaOfReply: (ts: string) => Promise<string | undefined>,
  ) {}

  async build(message: SlackMessage): Promise<ChatEvent> {
    const mention = `<@${this.bot.userId}>`;
    const text = message.text ?? '';
    const inThread = Boolean(message.thread_ts && message.thread_ts !== message.ts);
    const history = await this.history(message, inThread);
    const parent = inThread ? history.find((turn) => turn.messageId === message.thread_ts) : undefined;
    return {
      platform: 'slack',
      messageId: message.ts,
      channelId: message.channel,
      spaceId: message.team ?? this.bot.teamId,
      threadId: message.thread_ts,
      author: await this.speaker(message.user ?? message.bot_id ?? 'unknown', Boolean(message.bot_id)),
      text: text.split(mention).join('').trim(),
      timestamp: tsToMs(message.ts),
      isDirect: message.channel_type === 'im',
      mentionsBot: text.includes(mention),
      repliesToBot: Boolean(parent?.fromSelf),
      replyToMessageId: inThread ? message.thread_ts : undefined,
      history,
      permalink: await this.permalink(message.channel, message.ts),
    };
  }

  private async history(message: SlackMessage, inThread: boolean): Promise<ChatTurn[]> {
    const before = (await this.fetchHistory(message, inThread)).filter((turn) => turn.ts && Number(turn.ts) < Number(message.ts) && turn.text);
    before.sort((a, b) => Number(a.ts) - Number(b.ts));
    return Promise.all(before.slice(-HISTORY_LIMIT).map((turn) => this.turn(turn)));
  }

  /** Narrowed through `unknown` on purpose: comparing the two Web API response unions exhausts tsc's memory. */
  private async fetchHistory(message: SlackMessage, inThread: boolean): Promise<HistoryMessage[]> {
    if (inThread) {
      const replies: { messages?: unknown[] } = await this.client.conversations.replies({
        channel: message.channel,
        ts: message.thread_ts ?? message.ts,
        limit: 200,
      });
      return (replies.messages ?? []) as HistoryMessage[];
    }
    const history: { messages?: unknown[] } = await this.client.conversations.history({
      channel: message.channel,
      latest: message.ts,
      inclusive: false,
      limit: HISTORY_LIMIT,
    });
    return (history.messages ?? []) as HistoryMessage[];
  }

  private async turn(message: HistoryMessage): Promise<ChatTurn> {
    const fromSelf = message.user === this.bot.userId;
    const speaker = await this.speaker(message.user ?? message.bot_id ?? 'unknown', Boolean(message.bot_id) || fromSelf);
    if (fromSelf) speaker.name = (await this.personaOfReply(message.ts ?? '')) ?? message.username ?? speaker.name;
    return { speaker, text: message.text ?? '', timestamp: tsToMs(message.ts ?? '0'), messageId: message.ts, fromSelf };
  }

  private async speaker(id: string, isBot: boolean): Promise<Speaker> {
    const cached = this.names.get(id);
    if (cached && Date.now() - cached.at < NAME_CACHE_MS) return { id, name: cached.name, isBot };
    let name = id;
    if (/^[UW]/.test(id)) {
      try {
        const answer = await this.client.users.info({ user: id });
        name = answer.user?.profile?.display_name || answer.user?.real_name || answer.user?.name || id;
      } catch {
        // A missing scope or a deleted user: the id is still a usable speaker name.
      }
    }
    this.names.set(id, { name, at: Date.now() });
    return { id, name, isBot };
  }

  private async permalink(channel: string, ts: string): Promise<string | undefined> {
    try {
      return (await this.client.chat.getPermalink({ channel, message_ts: ts })).permalink;
    } catch {
      return undefined;
    }
  }
}

export function tsToMs(ts: string): number {
  return Math.round(Number(ts) * 1000);
}
