/**
 * The state of a fake Slack workspace: channels, users, user groups, messages with their
 * threads and reactions. The Web API fake reads and writes it; tests act as people through
 * it (post, react, delete) and get back the Events API payload Slack would deliver.
 */

export interface FakeUser {
  id: string;
  name: string;
  isBot?: boolean;
}

export interface FakeMessage {
  channel: string;
  ts: string;
  user?: string;
  botId?: string;
  text: string;
  blocks?: unknown[];
  threadTs?: string;
  /** Reaction name → user ids, in the order they reacted. */
  reactions: Map<string, string[]>;
}

/** The `event` object of an Events API callback (message, reaction_added, app_mention…). */
export type SlackEvent = Record<string, unknown> & { type: string };

export class FakeWorkspace {
  readonly teamId = 'T0FAKE';
  readonly botUserId = 'UBOT';
  readonly botId = 'BBOT';
  readonly channels = new Map<string, { id: string; name: string; isIm?: boolean }>();
  readonly users = new Map<string, FakeUser>();
  readonly userGroups = new Map<string, string[]>();
  readonly messages: FakeMessage[] = [];
  /** When set, auth.test answers `{ ok: false, error: authError }` (e.g. 'invalid_auth'). */
  authError?: string;
  private clock = 1_700_000_000;
  private seq = 0;

  constructor() {
    this.users.set(this.botUserId, { id: this.botUserId, name: 'personabot', isBot: true });
  }

  addChannel(id: string, name: string, isIm = false): void {
    this.channels.set(id, { id, name, isIm });
  }

  addUser(id: string, name: string): void {
    this.users.set(id, { id, name });
  }

  /** Accepts a channel id or `#name` / `name`, as chat.postMessage does. */
  resolveChannel(ref: string): string | undefined {
    if (this.channels.has(ref)) return ref;
    const name = ref.replace(/^#/, '');
    return [...this.channels.values()].find((channel) => channel.name === name)?.id;
  }

  nextTs(): string {
    this.seq += 1;
    return `${this.clock + this.seq}.${String(this.seq).padStart(6, '0')}`;
  }

  find(channel: string, ts: string): FakeMessage | undefined {
    return this.messages.find((message) => message.channel === channel && message.ts === ts);
  }

  /** Messages of a thread, parent first, as conversations.replies returns them. */
  thread(channel: string, ts: string): FakeMessage[] {
    return this.messages.filter((message) => message.channel === channel && (message.ts === ts || message.threadTs === ts));
  }

  messagesIn(channel: string): FakeMessage[] {
    return this.messages.filter((message) => message.channel === channel);
  }

  /** A person posts; returns the `message` event Slack would deliver. */
  post(user: string, channel: string, text: string, threadTs?: string): SlackEvent & { ts: string } {
    const message: FakeMessage = { channel, ts: this.nextTs(), user, text, threadTs, reactions: new Map() };
    this.messages.push(message);
    const channelType = this.channels.get(channel)?.isIm ? 'im' : 'channel';
    return {
      type: 'message',
      channel,
      channel_type: channelType,
      user,
      text,
      ts: message.ts,
      event_ts: message.ts,
      ...(threadTs ? { thread_ts: threadTs } : {}),
    };
  }

  /** A person mentions the bot; Slack delivers both `message` and `app_mention`: this returns the latter. */
  mention(user: string, channel: string, text: string): SlackEvent & { ts: string } {
    const event = this.post(user, channel, `<@${this.botUserId}> ${text}`);
    return { ...event, type: 'app_mention' };
  }

  react(user: string, channel: string, ts: string, name: string): SlackEvent {
    const message = this.find(channel, ts);
    if (message) message.reactions.set(name, [...(message.reactions.get(name) ?? []), user]);
    return this.reactionEvent('reaction_added', user, channel, ts, name, message);
  }

  unreact(user: string, channel: string, ts: string, name: string): SlackEvent {
    const message = this.find(channel, ts);
    if (message)
      message.reactions.set(
        name,
        (message.reactions.get(name) ?? []).filter((id) => id !== user),
      );
    return this.reactionEvent('reaction_removed', user, channel, ts, name, message);
  }

  /** A person deletes a message: the `message_deleted` event. */
  remove(channel: string, ts: string): SlackEvent {
    const index = this.messages.findIndex((message) => message.channel === channel && message.ts === ts);
    const [removed] = index >= 0 ? this.messages.splice(index, 1) : [];
    return {
      type: 'message',
      subtype: 'message_deleted',
      channel,
      ts: this.nextTs(),
      deleted_ts: ts,
      hidden: true,
      previous_message: removed ? { type: 'message', user: removed.user, text: removed.text, ts } : undefined,
    };
  }

  private reactionEvent(type: string, user: string, channel: string, ts: string, name: string, message?: FakeMessage): SlackEvent {
    return {
      type,
      user,
      reaction: name,
      item_user: message?.user ?? this.botUserId,
      item: { type: 'message', channel, ts },
      event_ts: this.nextTs(),
    };
  }
}
