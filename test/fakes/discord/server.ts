/**
 * A protocol-level fake Discord on 127.0.0.1 for driving the real discord.js client:
 * the REST API discord.js calls (under /api/v10) and the WebSocket gateway (gateway.ts).
 * Tests act as users (`say`, `react`, `command`), inspect every REST request the bot made,
 * inject a 429 with Retry-After, and drop the gateway to force a resume. With `shards` > 1,
 * `/gateway/bot` recommends that many shards, `addGuild` adds guilds, and each guild's
 * events reach only the shard that owns it (gateway.ts).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FakeGateway, shardOf } from './gateway.ts';
import { apiChannel, apiGuild, apiMessage, apiUser, snowflake, type ApiMessage, type ApiUser, type FakeChannel } from './payloads.ts';

export interface RecordedRequest {
  method: string;
  path: string;
  body: any;
  at: number;
  /** What the fake answered (e.g. the created message, with its id). */
  response?: any;
}

interface InjectedFailure {
  method: string;
  path: RegExp;
  status: number;
  retryAfterSeconds: number;
}

interface Webhook {
  id: string;
  token: string;
  channelId: string;
  name: string;
}

type Handler = (request: RecordedRequest, match: RegExpMatchArray) => { status: number; body?: unknown };

export class FakeDiscord {
  readonly bot = apiUser(snowflake(), 'persona-bot', true);
  readonly guildId = snowflake();
  readonly requests: RecordedRequest[] = [];
  readonly channels = new Map<string, FakeChannel>();
  readonly messages = new Map<string, ApiMessage>();
  readonly users = new Map<string, ApiUser>();
  readonly webhooks = new Map<string, Webhook>();
  /** Slash commands the bot registered, by name. */
  readonly commands = new Map<string, any>();
  readonly interactionReplies = new Map<string, { channelId: string; callbacks: any[]; original?: ApiMessage; followUps: ApiMessage[] }>();
  readonly gateway: FakeGateway;
  /** Guild ids and names; the first is `guildId`, where `addChannel` puts channels by default. */
  readonly guilds = new Map<string, string>();
  private readonly failures: InjectedFailure[] = [];
  private readonly server = createServer((req, res) => void this.handle(req, res));
  private port = 0;

  constructor(private readonly options: { shards?: number } = {}) {
    this.guilds.set(this.guildId, 'Fake Guild');
    const shardGuilds = (shard: number, count: number) => [...this.guilds.keys()].filter((id) => shardOf(id, count) === shard);
    this.gateway = new FakeGateway({
      ready: (shard, count) => ({
        user: { ...this.bot, verified: true, mfa_enabled: false, flags: 0 },
        guilds: shardGuilds(shard, count).map((id) => ({ id, unavailable: true })),
        application: { id: this.bot.id, flags: 0 },
      }),
      guilds: (shard, count) =>
        shardGuilds(shard, count).map((id) =>
          apiGuild(
            id,
            this.guilds.get(id)!,
            [...this.channels.values()].filter((c) => c.guildId === id),
            this.bot,
            [...this.users.values()],
          ),
        ),
      resumeUrl: () => `ws://127.0.0.1:${this.port}/gateway`,
    });
    this.server.on('upgrade', (request, socket, head) => this.gateway.handleUpgrade(request, socket, head));
  }

  async start(): Promise<{ apiUrl: string }> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return { apiUrl: `http://127.0.0.1:${this.port}/api` };
  }

  async stop(): Promise<void> {
    this.gateway.close();
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  addUser(username: string, bot = false): ApiUser {
    const user = apiUser(snowflake(), username, bot);
    this.users.set(user.id, user);
    return user;
  }

  /** Another guild; with `shard`, an id that shard owns under the recommended shard count. Call before the bot connects. */
  addGuild(name: string, shard?: number): string {
    let id = snowflake();
    for (let at = Date.now(); shard !== undefined && shardOf(id, this.options.shards ?? 1) !== shard; at++) id = snowflake(at);
    this.guilds.set(id, name);
    return id;
  }

  /** Guild text channel; call before the bot connects so GUILD_CREATE lists it. */
  addChannel(name: string, options: { webhooks?: boolean; guildId?: string } = {}): FakeChannel {
    const channel = { id: snowflake(), guildId: options.guildId ?? this.guildId, name, webhooks: options.webhooks ?? false };
    this.channels.set(channel.id, channel);
    return channel;
  }

  addDirectChannel(recipient: ApiUser): FakeChannel {
    const channel = { id: snowflake(), name: `dm-${recipient.username}`, webhooks: false, recipient };
    this.channels.set(channel.id, channel);
    return channel;
  }

  /** A user posts a message (MESSAGE_CREATE); `mention` prefixes `<@bot>` and lists the bot in mentions. */
  say(author: ApiUser, channel: FakeChannel, content: string, options: { mention?: boolean; replyTo?: ApiMessage } = {}): ApiMessage {
    const text = options.mention ? `<@${this.bot.id}> ${content}` : content;
    const message = apiMessage({
      channelId: channel.id,
      guildId: channel.guildId,
      author,
      content: text,
      mentions: options.mention ? [this.bot] : [],
      replyTo: options.replyTo,
    });
    this.post(message);
    return message;
  }

  react(user: ApiUser, message: ApiMessage, emoji: string, added = true): void {
    this.gateway.dispatch(
      added ? 'MESSAGE_REACTION_ADD' : 'MESSAGE_REACTION_REMOVE',
      {
        user_id: user.id,
        channel_id: message.channel_id,
        message_id: message.id,
        guild_id: message.guild_id,
        emoji: { id: null, name: emoji },
        type: 0,
        burst: false,
        ...(added && message.guild_id ? { member: { user, roles: [], joined_at: new Date().toISOString(), deaf: false, mute: false, flags: 0 } } : {}),
      },
      message.guild_id ?? undefined,
    );
  }

  /** A user runs a slash command; returns the interaction id whose replies `interactionReplies` records. */
  command(
    user: ApiUser,
    channel: FakeChannel,
    name: string,
    options: { name: string; type: number; value?: unknown; options?: unknown[] }[],
    member: { permissions?: bigint; roles?: string[] } = {},
  ): string {
    const id = snowflake();
    const token = `itoken-${id}`;
    this.interactionReplies.set(id, { channelId: channel.id, callbacks: [], followUps: [] });
    this.gateway.dispatch(
      'INTERACTION_CREATE',
      {
        id,
        application_id: this.bot.id,
        type: 2,
        token,
        version: 1,
        guild_id: channel.guildId,
        channel_id: channel.id,
        channel: apiChannel(channel, this.bot.id),
        member: {
          user,
          roles: member.roles ?? [],
          permissions: String(member.permissions ?? 0n),
          joined_at: new Date().toISOString(),
          deaf: false,
          mute: false,
          flags: 0,
        },
        app_permissions: '0',
        locale: 'en-US',
        guild_locale: 'en-US',
        entitlements: [],
        authorizing_integration_owners: {},
        context: 0,
        data: { id: this.commands.get(name)?.id ?? snowflake(), name, type: 1, options },
      },
      channel.guildId,
    );
    return id;
  }

  /** The next `method` request whose path matches answers `status` with Retry-After. */
  failNext(method: string, path: RegExp, status = 429, retryAfterSeconds = 1): void {
    this.failures.push({ method, path, status, retryAfterSeconds });
  }

  /** Messages in a channel as the channel shows them now (latest edit), oldest first. */
  channelMessages(channelId: string): ApiMessage[] {
    return [...this.messages.values()].filter((m) => m.channel_id === channelId).sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : 1));
  }

  async waitFor<T>(check: () => T | undefined | false, timeoutMs = 5000, what = 'condition'): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const value = check();
      if (value) return value;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    throw new Error(`fake discord: timed out waiting for ${what}`);
  }

  private post(message: ApiMessage): void {
    this.messages.set(message.id, message);
    // Discord adds channel_type (1 = DM) and, in guilds, the author's member to MESSAGE_CREATE.
    const inGuild = message.guild_id
      ? { channel_type: 0, member: { roles: [], joined_at: message.timestamp, deaf: false, mute: false, flags: 0 } }
      : { channel_type: 1 };
    this.gateway.dispatch('MESSAGE_CREATE', { ...message, ...inGuild }, message.guild_id ?? undefined);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', 'http://fake');
    const request: RecordedRequest = { method: req.method ?? 'GET', path: url.pathname + url.search, body: raw ? JSON.parse(raw) : undefined, at: Date.now() };
    this.requests.push(request);
    const failure = this.failures.findIndex((f) => f.method === request.method && f.path.test(url.pathname));
    if (failure >= 0) {
      const { status, retryAfterSeconds } = this.failures.splice(failure, 1)[0];
      return send(
        res,
        status,
        { message: 'You are being rate limited.', retry_after: retryAfterSeconds, global: false, code: 0 },
        {
          'retry-after': String(retryAfterSeconds),
          'x-ratelimit-scope': 'user',
        },
      );
    }
    for (const [method, pattern, handler] of this.routes) {
      const match = decodeURIComponent(url.pathname).match(pattern);
      if (match && method === request.method) {
        const { status, body } = handler(request, match);
        request.response = body;
        return send(res, status, body);
      }
    }
    send(res, 404, { message: `fake discord has no route ${request.method} ${url.pathname}`, code: 0 });
  }

  private readonly routes: [string, RegExp, Handler][] = [
    [
      'GET',
      /^\/api\/v10\/gateway\/bot$/,
      () => ({
        status: 200,
        body: {
          url: `ws://127.0.0.1:${this.port}/gateway`,
          shards: this.options.shards ?? 1,
          session_start_limit: { total: 1000, remaining: 1000, reset_after: 0, max_concurrency: this.options.shards ?? 1 },
        },
      }),
    ],
    ['GET', /^\/api\/v10\/users\/@me$/, () => ({ status: 200, body: this.bot })],
    [
      'PUT',
      /^\/api\/v10\/applications\/\d+(?:\/guilds\/\d+)?\/commands$/,
      (request) => {
        const registered = (request.body as any[]).map((command) => ({ ...command, id: snowflake(), application_id: this.bot.id, version: snowflake() }));
        for (const command of registered) this.commands.set(command.name, command);
        return { status: 200, body: registered };
      },
    ],
    [
      'GET',
      /^\/api\/v10\/channels\/(\d+)$/,
      (_, [, channelId]) => {
        const channel = this.channels.get(channelId);
        return channel ? { status: 200, body: apiChannel(channel, this.bot.id) } : { status: 404, body: { message: 'Unknown Channel', code: 10003 } };
      },
    ],
    ['POST', /^\/api\/v10\/channels\/(\d+)\/typing$/, () => ({ status: 204 })],
    ['GET', /^\/api\/v10\/channels\/(\d+)\/messages\/(\d+)$/, (_, [, , messageId]) => this.found(this.messages.get(messageId))],
    [
      'GET',
      /^\/api\/v10\/channels\/(\d+)\/messages$/,
      (request, [, channelId]) => {
        const query = new URL(request.path, 'http://fake').searchParams;
        const before = query.get('before');
        const limit = Number(query.get('limit') ?? 50);
        const list = this.channelMessages(channelId).filter((m) => !before || BigInt(m.id) < BigInt(before));
        return { status: 200, body: list.slice(-limit).reverse() };
      },
    ],
    [
      'POST',
      /^\/api\/v10\/channels\/(\d+)\/messages$/,
      (request, [, channelId]) => {
        const channel = this.channels.get(channelId);
        const replyTo = request.body.message_reference && this.messages.get(request.body.message_reference.message_id);
        const message = apiMessage({ channelId, guildId: channel?.guildId, author: this.bot, content: request.body.content ?? '', replyTo });
        this.post(message);
        return { status: 200, body: message };
      },
    ],
    ['PATCH', /^\/api\/v10\/channels\/(\d+)\/messages\/(\d+)$/, (request, [, , messageId]) => this.edit(messageId, request.body)],
    [
      'GET',
      /^\/api\/v10\/channels\/(\d+)\/webhooks$/,
      (_, [, channelId]) => ({
        status: 200,
        body: [...this.webhooks.values()].filter((w) => w.channelId === channelId).map((w) => this.apiWebhook(w)),
      }),
    ],
    [
      'POST',
      /^\/api\/v10\/channels\/(\d+)\/webhooks$/,
      (request, [, channelId]) => {
        if (!this.channels.get(channelId)?.webhooks) return { status: 403, body: { message: 'Missing Permissions', code: 50013 } };
        const webhook = { id: snowflake(), token: `wtoken-${snowflake()}`, channelId, name: request.body.name };
        this.webhooks.set(webhook.id, webhook);
        return { status: 200, body: this.apiWebhook(webhook) };
      },
    ],
    [
      'POST',
      /^\/api\/v10\/interactions\/(\d+)\/([^/]+)\/callback$/,
      (request, [, interactionId]) => {
        const replies = this.interactionReplies.get(interactionId);
        if (!replies) return { status: 404, body: { message: 'Unknown interaction', code: 10062 } };
        replies.callbacks.push(request.body);
        if (request.body.type === 4) replies.original = this.interactionMessage(interactionId, request.body.data?.content ?? '');
        if (request.body.type === 5) replies.original = this.interactionMessage(interactionId, '');
        return { status: 204 };
      },
    ],
    [
      'PATCH',
      /^\/api\/v10\/webhooks\/(\d+)\/([^/]+)\/messages\/(@original|\d+)$/,
      (request, [, webhookId, token, messageId]) => {
        if (messageId !== '@original') return this.edit(messageId, request.body);
        const replies = this.repliesForToken(webhookId, token);
        if (!replies?.original) return { status: 404, body: { message: 'Unknown Message', code: 10008 } };
        return this.edit(replies.original.id, request.body);
      },
    ],
    [
      'POST',
      /^\/api\/v10\/webhooks\/(\d+)\/([^/]+)$/,
      (request, [, webhookId, token]) => {
        const replies = this.repliesForToken(webhookId, token);
        if (replies) {
          const followUp = this.interactionMessage(token.replace('itoken-', ''), request.body.content ?? '');
          replies.followUps.push(followUp);
          return { status: 200, body: followUp };
        }
        const webhook = this.webhooks.get(webhookId);
        if (!webhook || webhook.token !== token) return { status: 404, body: { message: 'Unknown Webhook', code: 10015 } };
        const author = apiUser(webhook.id, request.body.username ?? webhook.name, true);
        const message = apiMessage({ channelId: webhook.channelId, guildId: this.guildId, author, content: request.body.content ?? '', webhookId: webhook.id });
        this.post(message);
        return { status: 200, body: message };
      },
    ],
  ];

  private found(message: ApiMessage | undefined) {
    return message ? { status: 200, body: message } : { status: 404, body: { message: 'Unknown Message', code: 10008 } };
  }

  private edit(messageId: string, body: { content?: string }) {
    const message = this.messages.get(messageId);
    if (!message) return this.found(undefined);
    if (body.content !== undefined) message.content = body.content;
    message.edited_timestamp = new Date().toISOString();
    return { status: 200, body: message };
  }

  private repliesForToken(applicationId: string, token: string) {
    return applicationId === this.bot.id ? this.interactionReplies.get(token.replace('itoken-', '')) : undefined;
  }

  /** An interaction's reply message (stored so edits find it; not dispatched to the bot). */
  private interactionMessage(interactionId: string, content: string): ApiMessage {
    const channelId = this.interactionReplies.get(interactionId)?.channelId ?? '0';
    const message = apiMessage({ channelId, guildId: this.guildId, author: this.bot, content });
    message.type = 20;
    this.messages.set(message.id, message);
    return message;
  }

  private apiWebhook(webhook: Webhook) {
    return {
      id: webhook.id,
      type: 1,
      token: webhook.token,
      channel_id: webhook.channelId,
      guild_id: this.guildId,
      name: webhook.name,
      avatar: null,
      application_id: this.bot.id,
      user: this.bot,
    };
  }
}

function send(res: ServerResponse, status: number, body?: unknown, headers: Record<string, string> = {}): void {
  // Discord sends 204 without a body or content type; discord.js would try to parse JSON otherwise.
  res.writeHead(status, body === undefined ? headers : { 'content-type': 'application/json', ...headers });
  res.end(body === undefined ? undefined : JSON.stringify(body));
}
