/**
 * The slash commands, as discord.js builders, registered through the REST API at start:
 * per allowed guild when DISCORD_ALLOWED_GUILDS is set (guild commands appear at once),
 * globally otherwise. Persona options offer the known personas as choices (Discord allows
 * 25; more personas are still accepted by id).
 */
import { SlashCommandBuilder, type Client, type SlashCommandStringOption } from 'discord.js';
import type { Persona } from '../../personas/schema.js';

const MAX_CHOICES = 25;

function personaOption(personas: Persona[], required: boolean) {
  return (option: SlashCommandStringOption) => {
    option.setName('persona').setDescription('Which persona').setRequired(required);
    if (personas.length <= MAX_CHOICES) option.addChoices(...personas.map((p) => ({ name: p.name.slice(0, 100), value: p.id })));
    return option;
  };
}

export function commandDefinitions(personas: Persona[]) {
  return [
    new SlashCommandBuilder()
      .setName('persona')
      .setDescription('The personas of this bot')
      .addSubcommand((sub) => sub.setName('list').setDescription('List the personas'))
      .addSubcommand((sub) => sub.setName('info').setDescription('About one persona').addStringOption(personaOption(personas, true)))
      .addSubcommand((sub) =>
        sub.setName('use').setDescription('Choose who answers in this channel (Manage Channels)').addStringOption(personaOption(personas, true)),
      ),
    new SlashCommandBuilder()
      .setName('ask')
      .setDescription('Ask a persona something')
      .addStringOption(personaOption(personas, true))
      .addStringOption((option) => option.setName('prompt').setDescription('What to say').setRequired(true).setMaxLength(2000)),
    new SlashCommandBuilder().setName('forget').setDescription('Forget this channel’s conversation so far'),
    new SlashCommandBuilder()
      .setName('train')
      .setDescription('Training of the personas')
      .addSubcommand((sub) => sub.setName('status').setDescription('Models, last runs, pending samples').addStringOption(personaOption(personas, false)))
      .addSubcommand((sub) =>
        sub
          .setName('now')
          .setDescription('Train a persona now (admins)')
          .addStringOption(personaOption(personas, true))
          // Named as `persona train --lora-rank`, whose checks (and error messages) it shares.
          .addIntegerOption((option) => option.setName('lora-rank').setDescription("LoRA rank r (default: the persona file's training.lora.r)").setMinValue(1)),
      )
      .addSubcommand((sub) =>
        sub.setName('cancel').setDescription('Stop a persona’s queued or running training (admins)').addStringOption(personaOption(personas, true)),
      ),
    new SlashCommandBuilder()
      .setName('privacy')
      .setDescription('Whether your messages may become training data')
      .addSubcommand((sub) => sub.setName('optout').setDescription('Stop collecting my messages and remove my pending ones'))
      .addSubcommand((sub) => sub.setName('optin').setDescription('Allow collecting my messages again')),
  ].map((builder) => builder.toJSON());
}

export async function registerCommands(client: Client<true>, personas: Persona[], guildIds: string[]): Promise<void> {
  const body = commandDefinitions(personas);
  if (guildIds.length === 0) {
    await client.application.commands.set(body);
    return;
  }
  for (const guildId of guildIds) await client.application.commands.set(body, guildId);
}
