/**
 * The bot commands every platform offers (`/persona list|info|use`, `/forget`,
 * `/train status|now`, `/privacy optout|optin`), as functions returning the sentence to show.
 * Permission checks (Manage Channels, the admin role) are the adapter's, since only it knows
 * the platform's roles; `/ask` is an ordinary chat event with `personaId` set.
 */
import { PersonaError } from '../../errors.js';
import { pickGreeting } from '../../personas/greeting.js';
import type { Platform, Speaker } from '../types.js';
import type { BotTrainingOverrides, ChatServices } from './ports.js';
import type { AdapterState } from './state.js';

export interface CommandContext {
  platform: Platform;
  channelId: string;
  user: Speaker;
}

export class BotCommands {
  constructor(
    private readonly services: ChatServices,
    private readonly state: AdapterState,
  ) {}

  listPersonas(): string {
    const personas = this.services.personas.list();
    if (personas.length === 0) return 'No personas yet: add a file under personas/.';
    return personas.map((persona) => `• **${persona.name}** (\`${persona.id}\`)${persona.description ? ` — ${persona.description}` : ''}`).join('\n');
  }

  personaInfo(personaId: string): string {
    const persona = this.services.personas.get(personaId);
    const lines = [`**${persona.name}** (\`${persona.id}\`)`];
    if (persona.description) lines.push(persona.description);
    lines.push(`Training: ${persona.training.method}, schedule ${persona.schedule.cron ?? 'manual'}.`);
    return lines.join('\n');
  }

  async usePersona(context: CommandContext, personaId: string): Promise<string> {
    const persona = this.services.personas.get(personaId);
    await this.state.setChannelPersona(context.platform, context.channelId, persona.id);
    // A conversation with this persona starts here: its greeting (a character card's first message), if it has one.
    const greeting = pickGreeting(persona, { user: context.user.name });
    return `${persona.name} now answers in this channel.${greeting ? `\n\n**${persona.name}:** ${greeting}` : ''}`;
  }

  async forget(context: CommandContext, now = Date.now()): Promise<string> {
    await this.state.forget(context.platform, context.channelId, now);
    return 'Memory cleared: nothing said here before now will be used.';
  }

  async trainStatus(personaId?: string): Promise<string> {
    const training = this.requireTraining();
    if (personaId) this.services.personas.get(personaId);
    const statuses = await training.status(personaId);
    return statuses.length ? statuses.map((status) => `• \`${status.personaId}\`: ${status.summary}`).join('\n') : 'No personas to train.';
  }

  async trainNow(personaId: string, origin?: Platform, overrides?: BotTrainingOverrides): Promise<string> {
    const training = this.requireTraining();
    this.services.personas.get(personaId);
    return training.trainNow(personaId, origin, overrides);
  }

  async trainCancel(personaId: string, by: string): Promise<string> {
    const training = this.requireTraining();
    this.services.personas.get(personaId);
    return training.cancel(personaId, by);
  }

  async optOut(context: CommandContext): Promise<string> {
    const consent = this.requireConsent();
    const { removedCandidates } = await consent.optOut(context.platform, context.user.id);
    const removed = removedCandidates ? ` ${removedCandidates} pending message(s) of yours were removed.` : '';
    return `Done: your messages will no longer be collected for training.${removed}`;
  }

  async optIn(context: CommandContext): Promise<string> {
    await this.requireConsent().optIn(context.platform, context.user.id);
    return 'Done: your messages may be collected for training again.';
  }

  private requireTraining() {
    if (!this.services.training) throw new PersonaError('invalid_argument', 'Training is not available in this process (run `persona serve`).');
    return this.services.training;
  }

  private requireConsent() {
    if (!this.services.consent) throw new PersonaError('store_unavailable', 'Privacy settings are not available: no store is configured.');
    return this.services.consent;
  }
}
