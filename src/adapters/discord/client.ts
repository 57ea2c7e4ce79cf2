/**
 * The discord.js client as this bot needs it: the gateway intents for guild and direct
 * messages, their content (the privileged Message Content intent) and reactions; partials
 * so DMs and reactions on messages sent before start still arrive; no mention may ever be
 * parsed by default; and the REST base from DISCORD_API_URL (self-hosted servers, proxies,
 * tests). REST retries wait out 429s as Discord's Retry-After says.
 */
import { Client, GatewayIntentBits, Partials } from 'discord.js';

export function createDiscordClient(apiUrl?: string): Client {
  return new Client({
    intents: [
      GatewayIntentBits.Guilds,
      GatewayIntentBits.GuildMessages,
      GatewayIntentBits.MessageContent,
      GatewayIntentBits.GuildMessageReactions,
      GatewayIntentBits.DirectMessages,
      GatewayIntentBits.DirectMessageReactions,
    ],
    partials: [Partials.Channel, Partials.Message, Partials.Reaction, Partials.User],
    allowedMentions: { parse: [], repliedUser: false },
    rest: apiUrl ? { api: apiUrl } : {},
  });
}
