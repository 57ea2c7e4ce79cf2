/**
 * Slash command handling: permission checks that only Discord can make (Manage Channels for
 * `/persona use`, the admin role for `/train now|cancel`), then the shared BotCommands. `/ask` is
 * a chat event with the persona set, answered in the interaction's own (deferred) reply.
 * Answers about settings are ephemeral (only the caller sees them).
 */
import { MessageFlags, PermissionFlagsBits, type ChatInputCommandInteraction } from 'discord.js';
import { isPersonaError } from '../../errors.js';
import { logger } from '../../log.js';
import type { ChatMiddleware, CommandContext } from '../middleware/index.js';
import { USER_MESSAGES } from '../middleware/index.js';
import type { DiscordTranslator } from './discord-events.js';
import { DiscordReply, interactionTarget, NO_MENTIONS } from './reply.js';

const log = logger('discord-commands');

export interface CommandDeps {
  chat: ChatMiddleware;
  translator: DiscordTranslator;
  /** Role name or id allowed to run `/train now` (DISCORD_ADMIN_ROLE); unset: Administrators only. */
  adminRole?: string;
  editIntervalMs: number;
}

export async function handleCommand(interaction: ChatInputCommandInteraction, deps: CommandDeps): Promise<void> {
  try {
    if (interaction.commandName === 'ask') return await ask(interaction, deps);
    const answer = await answerFor(interaction, deps);
    await interaction.reply({ content: answer.text, allowedMentions: NO_MENTIONS, ...(answer.private ? { flags: MessageFlags.Ephemeral } : {}) });
  } catch (error) {
    const text = isPersonaError(error) ? error.message : USER_MESSAGES.apology;
    if (!isPersonaError(error)) log.error({ err: error, command: interaction.commandName }, 'command failed');
    const options = { content: text, allowedMentions: NO_MENTIONS, flags: MessageFlags.Ephemeral } as const;
    await (interaction.deferred || interaction.replied ? interaction.followUp(options) : interaction.reply(options)).catch(() => {});
  }
}

async function answerFor(interaction: ChatInputCommandInteraction, { chat, adminRole }: CommandDeps): Promise<{ text: string; private: boolean }> {
  const commands = chat.commands;
  const context: CommandContext = {
    platform: 'discord',
    channelId: interaction.channelId,
    user: { id: interaction.user.id, name: interaction.user.globalName ?? interaction.user.username, isBot: interaction.user.bot },
  };
  const sub = interaction.options.getSubcommand(false);
  const persona = () => interaction.options.getString('persona', true);
  switch (`${interaction.commandName} ${sub ?? ''}`.trim()) {
    case 'persona list':
      return { text: commands.listPersonas(), private: true };
    case 'persona info':
      return { text: commands.personaInfo(persona()), private: true };
    case 'persona use':
      if (!interaction.memberPermissions?.has(PermissionFlagsBits.ManageChannels))
        return { text: 'Choosing the persona of a channel needs the Manage Channels permission.', private: true };
      return { text: await commands.usePersona(context, persona()), private: false };
    case 'forget':
      return { text: await commands.forget(context), private: false };
    case 'train status':
      return { text: await commands.trainStatus(interaction.options.getString('persona') ?? undefined), private: true };
    case 'train now':
      if (!isAdmin(interaction, adminRole))
        return { text: `Only ${adminRole ? `members with the ${adminRole} role` : 'administrators'} can start training.`, private: true };
      return { text: await commands.trainNow(persona(), 'discord', { loraRank: interaction.options.getInteger('lora-rank') ?? undefined }), private: false };
    case 'train cancel':
      if (!isAdmin(interaction, adminRole))
        return { text: `Only ${adminRole ? `members with the ${adminRole} role` : 'administrators'} can cancel training.`, private: true };
      return { text: await commands.trainCancel(persona(), `${interaction.user.username} (Discord)`), private: false };
    case 'privacy optout':
      return { text: await commands.optOut(context), private: true };
    case 'privacy optin':
      return { text: await commands.optIn(context), private: true };
    default:
      return { text: `Unknown command /${interaction.commandName}.`, private: true };
  }
}

function isAdmin(interaction: ChatInputCommandInteraction, adminRole: string | undefined): boolean {
  if (interaction.memberPermissions?.has(PermissionFlagsBits.Administrator)) return true;
  if (!adminRole || !interaction.inGuild()) return false;
  const roles = interaction.member.roles;
  const ids: string[] = Array.isArray(roles) ? roles : [...roles.cache.keys()];
  const names = ids.map((id) => interaction.guild?.roles.cache.get(id)?.name);
  return ids.includes(adminRole) || names.includes(adminRole);
}

async function ask(interaction: ChatInputCommandInteraction, { chat, translator, editIntervalMs }: CommandDeps): Promise<void> {
  await interaction.deferReply();
  const prompt = interaction.options.getString('prompt', true);
  const history = interaction.channel ? await translator.channelHistory(interaction.channel) : [];
  const event = {
    platform: 'discord' as const,
    messageId: interaction.id,
    channelId: interaction.channelId,
    spaceId: interaction.guildId ?? undefined,
    author: { id: interaction.user.id, name: interaction.user.globalName ?? interaction.user.username, isBot: interaction.user.bot },
    text: prompt,
    timestamp: interaction.createdTimestamp,
    isDirect: !interaction.inGuild(),
    mentionsBot: true,
    repliesToBot: false,
    personaId: interaction.options.getString('persona', true),
    history,
  };
  await chat.handleChat(event, (persona) => new DiscordReply(async () => interactionTarget(persona, interaction), undefined, editIntervalMs));
}
