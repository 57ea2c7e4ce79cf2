/**
 * One webhook per channel, so a reply can carry its persona's name and avatar. Used only
 * where the bot has Manage Webhooks; anywhere else (or when Discord refuses) the caller
 * falls back to a plain reply with a name prefix. A refusal is remembered for a while so a
 * busy channel does not ask Discord again on every message.
 */
import { ChannelType, PermissionFlagsBits, type Client, type GuildTextBasedChannel, type NewsChannel, type TextChannel, type Webhook } from 'discord.js';
import { logger } from '../../log.js';

const WEBHOOK_NAME = 'Persona builder';
const RETRY_REFUSED_AFTER_MS = 10 * 60 * 1000;

export class WebhookPool {
  private readonly byChannel = new Map<string, Promise<Webhook | null>>();
  private readonly refusedAt = new Map<string, number>();
  /** Ids of webhooks we own: their messages are ours (replies to them reach the bot). */
  readonly ownIds = new Set<string>();
  private readonly log = logger('discord-webhooks');

  constructor(private readonly client: Client<true>) {}

  /** The channel's webhook, or null when plain replies must be used. */
  async forChannel(channel: GuildTextBasedChannel): Promise<Webhook | null> {
    // Threads and voice-channel chats would need thread ids / other endpoints: plain replies there.
    if (channel.type !== ChannelType.GuildText && channel.type !== ChannelType.GuildAnnouncement) return null;
    if (!channel.permissionsFor(this.client.user)?.has(PermissionFlagsBits.ManageWebhooks)) return null;
    if (Date.now() - (this.refusedAt.get(channel.id) ?? -Infinity) < RETRY_REFUSED_AFTER_MS) return null;
    let pending = this.byChannel.get(channel.id);
    if (!pending) {
      pending = this.findOrCreate(channel);
      this.byChannel.set(channel.id, pending);
    }
    const webhook = await pending;
    if (!webhook) this.byChannel.delete(channel.id);
    return webhook;
  }

  private async findOrCreate(channel: TextChannel | NewsChannel): Promise<Webhook | null> {
    try {
      const existing = [...(await channel.fetchWebhooks()).values()].find((hook) => hook.owner?.id === this.client.user.id && hook.token);
      const webhook = existing ?? (await channel.createWebhook({ name: WEBHOOK_NAME }));
      this.ownIds.add(webhook.id);
      return webhook;
    } catch (error) {
      this.refusedAt.set(channel.id, Date.now());
      this.log.warn({ err: error, channel: channel.id }, 'cannot use a webhook here; replying with a name prefix');
      return null;
    }
  }
}
