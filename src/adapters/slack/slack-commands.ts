/**
 * `/persona status|stats|queue|train|cancel <id>`: answers are ephemeral (only the caller sees
 * them) and sent in the command's ack. Starting a training run is for curators only, and
 * says so when no training runner is wired into this process.
 */
import { isPersonaError, PersonaError } from '../../errors.js';
import { logger } from '../../log.js';
import type { Persona } from '../../personas/schema.js';
import type { BotTrainingOverrides } from '../middleware/index.js';
import type { BoltApp } from './bolt-app.js';
import type { Curators } from './curators.js';
import type { DatasetCounts, SlackServices } from './slack-ports.js';

const log = logger('slack');

export const PERSONA_COMMAND = '/persona';
export const COMMAND_USAGE =
  'Usage: `/persona status [id]` · `/persona stats [id]` · `/persona queue` · `/persona train <id> [--lora-rank N]` · `/persona cancel <id>`';
export const TRAINING_UNAVAILABLE = 'Training is not available in this process yet: start it with `persona serve` once training is set up.';

export interface CommandCall {
  text: string;
  userId: string;
}

export function registerCommands(app: BoltApp, services: SlackServices, curators: Curators): void {
  app.command(PERSONA_COMMAND, async ({ command, ack }) => {
    const answer = await answerCommand({ text: command.text, userId: command.user_id }, services, curators);
    await ack({ response_type: 'ephemeral', text: answer });
  });
}

export async function answerCommand(call: CommandCall, services: SlackServices, curators: Curators): Promise<string> {
  const [sub = 'help', id, ...rest] = call.text.trim().split(/\s+/).filter(Boolean);
  try {
    switch (sub) {
      case 'status':
        return await status(services, id);
      case 'stats':
        return await stats(services, id);
      case 'queue':
        return await queue(services);
      case 'train':
        return await train(services, curators, call.userId, id, rest);
      case 'cancel':
        return await cancel(services, curators, call.userId, id);
      default:
        return COMMAND_USAGE;
    }
  } catch (error) {
    if (isPersonaError(error)) return error.message;
    log.error({ err: error, command: call.text }, '/persona failed');
    return 'Something went wrong answering that; the error is in the bot logs.';
  }
}

function chosen(services: SlackServices, id: string | undefined): Persona[] {
  return id ? [services.personas.get(id)] : services.personas.list();
}

async function status(services: SlackServices, id?: string): Promise<string> {
  const personas = chosen(services, id);
  if (personas.length === 0) return 'No personas yet: add a file under personas/.';
  const training = services.training ? await services.training.status(id) : [];
  const lines = await Promise.all(
    personas.map(async (persona) => {
      const counts = await services.review.counts(persona.id);
      const run = training.find((entry) => entry.personaId === persona.id)?.summary ?? 'training not available here';
      return `*${persona.name}* (\`${persona.id}\`): ${counts.approved} approved, ${counts.pending} pending review · ${run}`;
    }),
  );
  return lines.join('\n');
}

async function stats(services: SlackServices, id?: string): Promise<string> {
  const personas = chosen(services, id);
  if (personas.length === 0) return 'No personas yet: add a file under personas/.';
  const lines = await Promise.all(
    personas.map(async (persona) => `*${persona.name}* (\`${persona.id}\`): ${describeCounts(await services.review.counts(persona.id))}`),
  );
  return lines.join('\n');
}

export function describeCounts(counts: DatasetCounts): string {
  return `${counts.approved} approved (${counts.exemplary} exemplary, ${counts.edited} edited) · ${counts.rejected} rejected · ${counts.pending} pending`;
}

async function queue(services: SlackServices): Promise<string> {
  const counts = await services.review.counts();
  const unposted = (
    await services.review.unposted(
      1000,
      services.personas.list().map((persona) => persona.id),
    )
  ).length;
  const waiting = unposted >= 1000 ? '1000+' : String(unposted);
  return `${counts.pending} candidate(s) pending review; ${waiting} not yet posted to the review channel.`;
}

async function train(services: SlackServices, curators: Curators, userId: string, id: string | undefined, flags: string[]): Promise<string> {
  if (!id) return 'Which persona? `/persona train <id> [--lora-rank N]`';
  if (!(await curators.isCurator(userId))) return 'Only curators can start training.';
  const persona = services.personas.get(id);
  if (!services.training) return TRAINING_UNAVAILABLE;
  return services.training.trainNow(persona.id, 'slack', trainFlags(flags));
}

/**
 * `--lora-rank N` or `--lora-rank=N`, as `persona train` spells it. Only the spelling is read
 * here: the value is checked by the training service exactly as `persona train` checks it.
 */
function trainFlags(flags: string[]): BotTrainingOverrides {
  if (flags.length === 0) return {};
  const [flag, inline] = flags[0].split(/=(.*)/s, 2);
  const value = inline ?? flags[1];
  if (flag !== '--lora-rank' || value === undefined || flags.length > (inline === undefined ? 2 : 1))
    throw new PersonaError('invalid_argument', `\`/persona train\` takes only \`--lora-rank N\` after the persona id, not "${flags.join(' ')}".`, {
      field: 'lora-rank',
    });
  return { loraRank: Number(value) };
}

async function cancel(services: SlackServices, curators: Curators, userId: string, id?: string): Promise<string> {
  if (!id) return 'Which persona? `/persona cancel <id>`';
  if (!(await curators.isCurator(userId))) return 'Only curators can cancel training.';
  const persona = services.personas.get(id);
  if (!services.training) return TRAINING_UNAVAILABLE;
  return services.training.cancel(persona.id, `<@${userId}> (Slack)`);
}
