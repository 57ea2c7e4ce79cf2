/**
 * Who answers a message, if anyone. In order: the persona the user named (`/ask`), a persona
 * whose file binds this channel (it answers every message there), and — only when the bot
 * was addressed (mention, DM, reply to one of its messages) — the persona that wrote the
 * replied-to message, the persona the channel chose with `/persona use`, or the first persona.
 */
import type { Persona } from '../../personas/schema.js';
import type { ChatEvent, Platform } from '../types.js';
import type { PersonaDirectory } from './ports.js';
import type { AdapterState } from './state.js';

export type RouteReason = 'requested' | 'bound_channel' | 'reply_chain' | 'channel_choice' | 'default';

export interface Route {
  persona: Persona;
  reason: RouteReason;
}

export function boundChannels(persona: Persona, platform: Platform): string[] {
  if (platform === 'discord') return persona.channels.discord;
  if (platform === 'slack') return persona.channels.slack;
  return [];
}

export async function routeEvent(event: ChatEvent, personas: PersonaDirectory, state: AdapterState): Promise<Route | null> {
  if (event.personaId) return { persona: personas.get(event.personaId), reason: 'requested' };
  const all = personas.list();
  const chosenId = await state.channelPersona(event.platform, event.channelId);
  const bound = all.filter((persona) => boundChannels(persona, event.platform).includes(event.channelId));
  if (bound.length > 0) {
    // Several personas bound to one channel: `/persona use` picks among them.
    return { persona: bound.find((persona) => persona.id === chosenId) ?? bound[0], reason: 'bound_channel' };
  }
  if (!event.isDirect && !event.mentionsBot && !event.repliesToBot) return null;
  if (event.replyToMessageId) {
    const previous = await state.sentReply(event.platform, event.replyToMessageId);
    const persona = previous && all.find((candidate) => candidate.id === previous.personaId);
    if (persona) return { persona, reason: 'reply_chain' };
  }
  const chosen = chosenId && all.find((persona) => persona.id === chosenId);
  if (chosen) return { persona: chosen, reason: 'channel_choice' };
  return all[0] ? { persona: all[0], reason: 'default' } : null;
}
