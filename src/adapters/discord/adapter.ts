/**
 * The Discord character bot: logs in, registers the slash commands, and turns every message,
 * reaction and command in the allowed guilds/channels into calls of the shared middleware.
 * This module (with its siblings) is the only one that imports discord.js. A failure while
 * handling one event is logged; the bot stays up. `DiscordAdapter` is its PlatformAdapter.
 */
import {
  Events,
  MessageFlags,
  type Client,
  type GuildTextBasedChannel,
  type Message,
  type MessageReaction,
  type PartialMessageReaction,
  type PartialUser,
  type SendableChannels,
  type User,
} from 'discord.js';
import { once } from 'node:events';
import type { Config } from '../../config/config.js';
import { PersonaError } from '../../errors.js';
import { logger } from '../../log.js';
import type { Persona } from '../../personas/schema.js';
import type { ChatMiddleware } from '../middleware/index.js';
import { LifecycleAdapter } from '../adapter-lifecycle.js';
import type { ReplyChannel } from '../types.js';
import { createDiscordClient } from './client.js';
import { registerCommands } from './discord-commands.js';
import { DiscordTranslator } from './discord-events.js';
import { handleCommand } from './interactions.js';
import { DiscordReply, plainTarget, webhookTarget } from './reply.js';
import { WebhookPool } from './webhooks.js';

export interface DiscordServices {
  /** The process's one chat middleware (shared with Slack and the studio: one reply queue). */
  chat: ChatMiddleware;
}

export interface DiscordAdapterOptions {
  /** Minimum time between two edits of a streamed reply (default DISCORD_EDIT_INTERVAL_MS, 1 s). */
  editIntervalMs?: number;
  /** Recent channel messages offered as memory (default 20). */
  historyLimit?: number;
  /** Ready within this long or fail (default 30 s). */
  readyTimeoutMs?: number;
}

type ConfigPart = Pick<Config, 'DISCORD_TOKEN' | 'DISCORD_API_URL' | 'DISCORD_ALLOWED_GUILDS' | 'DISCORD_ALLOWED_CHANNELS' | 'DISCORD_ADMIN_ROLE'> &
  Partial<Pick<Config, 'DISCORD_EDIT_INTERVAL_MS'>>;

/** The bot in one process (one gateway connection, or the shards discord.js gives this process). */
export class DiscordAdapter extends LifecycleAdapter<DiscordBot> {
  constructor(
    private readonly config: ConfigPart,
    private readonly services: DiscordServices,
    private readonly options: DiscordAdapterOptions = {},
  ) {
    super('discord', 'DISCORD_TOKEN and DISCORD_API_URL');
  }

  /** The logged-in client (after `start`). */
  get client(): Client<true> {
    if (!this.connection) throw new PersonaError('config_invalid', 'The Discord adapter has not started.');
    return this.connection.client;
  }

  protected open(): Promise<DiscordBot> {
    return loginBot(this.config, this.services, this.options);
  }

  protected close(bot: DiscordBot): Promise<void> {
    return bot.stop();
  }

  protected report({ client }: DiscordBot): { ok: boolean; detail: string } {
    if (!client.isReady()) return { ok: false, detail: 'the gateway connection is down; discord.js is reconnecting' };
    return { ok: true, detail: `connected as ${client.user.tag} in ${client.guilds.cache.size} guild(s)` };
  }
}

async function loginBot(config: ConfigPart, services: DiscordServices, options: DiscordAdapterOptions): Promise<DiscordBot> {
  if (!config.DISCORD_TOKEN)
    throw new PersonaError('config_invalid', 'DISCORD_TOKEN is not set: add the bot token from the Discord developer portal to .env.', {
      field: 'DISCORD_TOKEN',
    });
  const log = logger('discord');
  const client = createDiscordClient(config.DISCORD_API_URL);
  const ready = once(client, Events.ClientReady, { signal: AbortSignal.timeout(options.readyTimeoutMs ?? 30_000) });
  client.on(Events.Error, (error) => log.error({ err: error }, 'discord client error'));
  await client.login(config.DISCORD_TOKEN);
  try {
    await ready;
  } catch (error) {
    await client.destroy();
    throw new PersonaError(
      'config_invalid',
      'Discord did not become ready: check DISCORD_TOKEN and DISCORD_API_URL.',
      { field: 'DISCORD_TOKEN' },
      { cause: error },
    );
  }
  const bot = new DiscordBot(client as Client<true>, config, services.chat, options);
  await bot.start();
  return bot;
}

class DiscordBot {
  private readonly webhooks: WebhookPool;
  private readonly translator: DiscordTranslator;
  private readonly editIntervalMs: number;
  private readonly log = logger('discord');

  constructor(
    readonly client: Client<true>,
    private readonly config: ConfigPart,
    private readonly chat: ChatMiddleware,
    options: DiscordAdapterOptions,
  ) {
    this.webhooks = new WebhookPool(client);
    this.translator = new DiscordTranslator({ selfId: client.user.id, ownWebhookIds: this.webhooks.ownIds, historyLimit: options.historyLimit ?? 20 });
    this.editIntervalMs = options.editIntervalMs ?? config.DISCORD_EDIT_INTERVAL_MS ?? 1000;
  }

  async start(): Promise<void> {
    const personas = this.chat.services.personas.list();
    try {
      // Sharded (DISCORD_SHARDS): the process holding shard 0 registers the commands, once for all.
      if (!this.client.shard || this.client.shard.ids.includes(0)) await registerCommands(this.client, personas, this.config.DISCORD_ALLOWED_GUILDS);
    } catch (error) {
      // Chat still works without slash commands; say why they are missing.
      this.log.error({ err: error }, 'registering slash commands failed (does the bot have the applications.commands scope?)');
    }
    this.client.on(Events.MessageCreate, (message) => void this.guard('message', () => this.onMessage(message)));
    this.client.on(
      Events.InteractionCreate,
      (interaction) =>
        void this.guard('interaction', async () => {
          if (!interaction.isChatInputCommand()) return;
          if (!this.allowed(interaction.guildId, interaction.channelId)) {
            await interaction.reply({ content: 'I am not enabled in this channel.', flags: MessageFlags.Ephemeral });
            return;
          }
          await handleCommand(interaction, {
            chat: this.chat,
            translator: this.translator,
            adminRole: this.config.DISCORD_ADMIN_ROLE,
            editIntervalMs: this.editIntervalMs,
          });
        }),
    );
    const onReaction = (added: boolean) => (reaction: MessageReaction | PartialMessageReaction, user: User | PartialUser) =>
      void this.guard('reaction', async () => {
        if (!this.allowed(reaction.message.guildId, reaction.message.channelId)) return;
        await this.chat.handleReaction(this.translator.reactionEvent(reaction, user, added));
      });
    this.client.on(Events.MessageReactionAdd, onReaction(true));
    this.client.on(Events.MessageReactionRemove, onReaction(false));
  }

  async stop(): Promise<void> {
    this.client.removeAllListeners();
    await this.client.destroy();
  }

  private async onMessage(message: Message): Promise<void> {
    // Bots (this one included) never get an answer; skip the translation work too.
    if (message.author.bot || message.system || !this.allowed(message.guildId, message.channelId)) return;
    const event = await this.translator.chatEvent(message);
    await this.chat.handleChat(event, (persona) => this.openReply(persona, message));
  }

  private openReply(persona: Persona, message: Message): ReplyChannel {
    const channel = message.channel as SendableChannels;
    const plain = plainTarget(persona, channel, message);
    return new DiscordReply(
      async () => {
        const webhook = message.inGuild() ? await this.webhooks.forChannel(message.channel as GuildTextBasedChannel) : null;
        return webhook ? webhookTarget(persona, webhook, plain) : plain;
      },
      channel,
      this.editIntervalMs,
    );
  }

  /** DISCORD_ALLOWED_GUILDS / _CHANNELS (empty: everywhere). DMs pass unless channels are restricted. */
  private allowed(guildId: string | null, channelId: string): boolean {
    const { DISCORD_ALLOWED_GUILDS: guilds, DISCORD_ALLOWED_CHANNELS: channels } = this.config;
    if (guildId && guilds.length > 0 && !guilds.includes(guildId)) return false;
    return channels.length === 0 || channels.includes(channelId);
  }

  private async guard(what: string, handle: () => Promise<void>): Promise<void> {
    try {
      await handle();
    } catch (error) {
      this.log.error({ err: error }, `handling a Discord ${what} failed`);
    }
  }
}
