/**
 * `persona serve`: run the bots, the studio, the scheduler and the health endpoint until
 * Ctrl-C (all roles, or PERSONA_ROLES). `persona worker --role trainer`: one role alone, e.g.
 * a training machine taking jobs from the shared Redis queue.
 */
import type { Command } from 'commander';
import { serve, type Server } from '../../app/serve-process.js';
import { ROLES } from '../../app/roles.js';
import { action, cliConfig } from '../command-context.js';

export function registerServeCommands(program: Command): void {
  program
    .command('serve')
    .description('run the configured bots (Discord, Slack), the local studio and scheduled retraining')
    .action(action(async () => runUntilSignal(await serve(cliConfig()))));
  program
    .command('worker')
    .description(`run only some roles of persona serve (${ROLES.join(', ')}); needs a redis:// STORE_URL shared with the other processes`)
    .requiredOption('--role <roles...>', `one or more of ${ROLES.join(', ')}`)
    .action(action(async (options: { role: string[] }) => runUntilSignal(await serve(cliConfig(), { roles: options.role.flatMap((r) => r.split(',')) }))));
}

async function runUntilSignal(server: Server): Promise<void> {
  const names = server.adapters.map((a) => a.health()).map((h) => (h.ok ? h.name : `${h.name} (did not start: ${h.detail})`));
  if (server.roles.has('bots'))
    console.log(
      `persona serve: ${names.length ? names.join(', ') : 'no adapters configured'}; scheduled retraining for ${server.scheduler.status.scheduled.join(', ') || 'no personas'}.`,
    );
  else
    console.log(
      `persona worker: ${[...server.roles].join(', ')}${server.roles.has('scheduler') ? `; scheduled retraining for ${server.scheduler.status.scheduled.join(', ') || 'no personas'}` : ''}.`,
    );
  const studio = server.adapters.find((a) => a.name === 'studio');
  if (studio?.url) console.log(`Persona Studio: ${studio.url}`);
  if (server.healthPort) console.log(`health: http://127.0.0.1:${server.healthPort}/health`);
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      console.log(`\n${signal}: finishing replies and checkpointing training…`);
      server.stop().then(resolve, resolve);
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
}
