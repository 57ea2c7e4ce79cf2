/**
 * `persona list` and `persona show <id>`: what personas exist and how they are configured;
 * with them the persona area's other commands: create/rename/copy/remove (manage.ts) and
 * import of character cards (card.ts).
 */
import type { Command } from 'commander';
import { stringify } from 'yaml';
import { loadPersona, readPersonaDir } from '../../personas/load.js';
import { action, cliConfig } from '../command-context.js';
import { registerCardCommands } from './card.js';
import { registerManageCommands } from './manage.js';

export function registerPersonaCommands(program: Command): void {
  program
    .command('list')
    .description('list the personas in the personas directory')
    .option('--json', 'print JSON')
    .action(
      action((options: { json?: boolean }) => {
        // One broken file is an error row, not a failed command: the other personas still list.
        const { personas, broken } = readPersonaDir(cliConfig().PERSONAS_DIR);
        const rows = [
          ...personas.map(({ id, name, description }) => ({ id, name, description })),
          ...broken.map(({ id, error }) => ({ id, error: error.message })),
        ].sort((a, b) => a.id.localeCompare(b.id));
        if (options.json) {
          console.log(JSON.stringify(rows));
          return;
        }
        if (rows.length === 0) console.log(`no personas in ${cliConfig().PERSONAS_DIR}`);
        for (const row of rows) {
          const text = 'error' in row ? `error: ${row.error}` : `${row.name}${row.description ? ` — ${row.description}` : ''}`;
          console.log(`${row.id.padEnd(20)} ${text}`);
        }
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
  registerManageCommands(program);
  registerCardCommands(program);
}
