/**
 * Renders a persona's reply in Discord through the shared ReplyChannel interface: the typing
 * indicator until the first words, then a message streamed by edits (StreamRenderer),
 * split at 2,000 characters. Three targets: the persona's webhook (its name and avatar), a
 * plain reply prefixed with the persona's name, or a slash command's interaction reply.
 * Every message carries `allowedMentions: { parse: [] }`, so model output can never ping.
 */
import type { ChatInputCommandInteraction, Message, MessageCreateOptions, SendableChannels, Webhook } from 'discord.js';
import type { Persona } from '../../personas/schema.js';
import { StreamRenderer, type MessageSink } from '../middleware/index.js';
import type { ReplyChannel } from '../types.js';

export const DISCORD_MESSAGE_LIMIT = 2000;
/** Discord shows "typing" for 10 s per request. */
const TYPING_REFRESH_MS = 8000;
export const NO_MENTIONS = { parse: [], repliedUser: false } as const;

export function namePrefix(persona: Persona): string {
  return `**${persona.name}:** `;
}

/** Where the reply goes: a sink for the streamed text plus how to say a short failure notice. */
interface Target extends MessageSink {
  limit: number;
  notice(text: string): Promise<void>;
}

/** Plain messages: the first replies to the user's message, the rest follow in the channel. */
export function plainTarget(persona: Persona, channel: SendableChannels, trigger?: Message): Target {
  const prefix = namePrefix(persona);
  const messages = new Map<string, Message>();
  const send = (options: MessageCreateOptions) => (trigger && messages.size === 0 ? trigger.reply(options) : channel.send(options));
  return {
    limit: DISCORD_MESSAGE_LIMIT - prefix.length,
    async post(text) {
      const message = await send({ content: prefix + text, allowedMentions: NO_MENTIONS });
      messages.set(message.id, message);
      return message.id;
    },
    async edit(id, text) {
      await messages.get(id)!.edit({ content: prefix + text, allowedMentions: NO_MENTIONS });
    },
    async notice(text) {
      await (trigger ? trigger.reply({ content: text, allowedMentions: NO_MENTIONS }) : channel.send({ content: text, allowedMentions: NO_MENTIONS }));
    },
  };
}

export function webhookTarget(persona: Persona, webhook: Webhook, fallback: Target): Target {
  const identity = { username: persona.name.slice(0, 80), avatarURL: persona.avatar_url };
  return {
    limit: DISCORD_MESSAGE_LIMIT,
    async post(text) {
      const message = await webhook.send({ content: text, ...identity, allowedMentions: NO_MENTIONS });
      return message.id;
    },
    async edit(id, text) {
      await webhook.editMessage(id, { content: text, allowedMentions: NO_MENTIONS });
    },
    notice: (text) => fallback.notice(text),
  };
}

/** A slash command's reply: the deferred original message first, follow-ups after it. */
export function interactionTarget(persona: Persona, interaction: ChatInputCommandInteraction): Target {
  const prefix = namePrefix(persona);
  let originalId: string | undefined;
  return {
    limit: DISCORD_MESSAGE_LIMIT - prefix.length,
    async post(text) {
      if (!originalId) {
        originalId = (await interaction.editReply({ content: prefix + text, allowedMentions: NO_MENTIONS })).id;
        return originalId;
      }
      return (await interaction.followUp({ content: prefix + text, allowedMentions: NO_MENTIONS })).id;
    },
    async edit(id, text) {
      const options = { content: prefix + text, allowedMentions: NO_MENTIONS };
      await (id === originalId ? interaction.editReply(options) : interaction.webhook.editMessage(id, options));
    },
    async notice(text) {
      const options = { content: text, allowedMentions: NO_MENTIONS };
      await (originalId ? interaction.followUp(options) : interaction.editReply(options));
    },
  };
}

export class DiscordReply implements ReplyChannel {
  private renderer: StreamRenderer | undefined;
  private typingTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly openTarget: () => Promise<Target>,
    private readonly typingIn: SendableChannels | undefined,
    private readonly editIntervalMs: number,
  ) {}

  async typing(): Promise<void> {
    if (!this.typingIn) return;
    const channel = this.typingIn;
    this.typingTimer = setInterval(() => void channel.sendTyping().catch(() => {}), TYPING_REFRESH_MS);
    this.typingTimer.unref();
    await channel.sendTyping();
  }

  async update(textSoFar: string): Promise<void> {
    this.stopTyping();
    await (await this.stream()).update(textSoFar);
  }

  async finish(text: string): Promise<string[]> {
    this.stopTyping();
    return (await this.stream()).finish(text);
  }

  async fail(message: string): Promise<void> {
    this.stopTyping();
    await (await this.target()).notice(message);
  }

  private targetPromise: Promise<Target> | undefined;

  private target(): Promise<Target> {
    this.targetPromise ??= this.openTarget();
    return this.targetPromise;
  }

  private async stream(): Promise<StreamRenderer> {
    const target = await this.target();
    this.renderer ??= new StreamRenderer(target, { limit: target.limit, minIntervalMs: this.editIntervalMs });
    return this.renderer;
  }

  private stopTyping(): void {
    clearInterval(this.typingTimer);
    this.typingTimer = undefined;
  }
}
