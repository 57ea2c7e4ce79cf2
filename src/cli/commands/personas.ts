/** `persona list` and `persona show <id>`: what personas exist and how they are configured. */
import type { Command } from 'commander';
import { stringify } from 'yaml';
import { loadAllPersonas, loadPersona } from '../../personas/load.js';
import { action, cliConfig } from '../context.js';

export function registerPersonaCommands(program: Command): void {
  program
    .command('list')
    .description('list the personas in the personas directory')
    .option('--json', 'print JSON')
    .action(
      action((options: { json?: boolean }) => {
        const personas = loadAllPersonas(cliConfig().PERSONAS_DIR);
        if (options.json) {
          console.log(JSON.stringify(personas.map(({ id, name, description }) => ({ id, name, description }))));
          return;
        }
        if (personas.length === 0) console.log(`no personas in ${cliConfig().PERSONAS_DIR}`);
        for (const persona of personas) console.log(`${persona.id.padEnd(20)} ${persona.name}${persona.description ? ` — ${persona.description}` : ''}`);
      }),
    );

  program
    .command('show')
    .description('print a persona file with every default filled in')
    .argument('<persona>', 'persona id')
    .option('--json', 'print JSON')
    .action(
      action((id: string, options: { json?: boolean }) => {
        const persona = loadPersona(cliConfig().PERSONAS_DIR, id);
        console.log(options.json ? JSON.stringify(persona, null, 2) : stringify(persona));
      }),
    );
}
