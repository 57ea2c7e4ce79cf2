/** `persona serve`: run the bots, the studio, the scheduler and the health endpoint until Ctrl-C. */
import type { Command } from 'commander';
import { serve } from '../../app/serve.js';
import { action, cliConfig } from '../context.js';

export function registerServeCommands(program: Command): void {
  program
    .command('serve')
    .description('run the configured bots (Discord, Slack), the local studio and scheduled retraining')
    .action(
      action(async () => {
        const server = await serve(cliConfig());
        const names = server.adapters.map((a) => a.name);
        console.log(`persona serve: ${names.length ? names.join(', ') : 'no adapters configured'}; scheduled retraining for ${server.scheduler.status.scheduled.join(', ') || 'no personas'}.`);
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
      }),
    );
}
