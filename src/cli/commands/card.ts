/** `persona import <card.png|card.json>`: a Character Card V2/V3 becomes a persona (see src/app/persona-card.ts). */
import type { Command } from 'commander';
import { action, cliConfig } from '../command-context.js';

export function registerCardCommands(program: Command): void {
  program
    .command('import')
    .description('create a persona from a Character Card V2/V3 (.png with the card inside, or .json); its example dialogues wait in review')
    .argument('<card>', 'card file (.png or .json)')
    .option('--id <id>', 'persona id (default: from the card name)')
    .option('--name <name>', 'display name (default: the card name)')
    .action(
      action(async (file: string, options: { id?: string; name?: string }) => {
        const config = cliConfig();
        const [{ importCard }, { withStore }] = await Promise.all([import('../../app/persona-card.js'), import('../../store/index.js')]);
        const result = await withStore(config.storeUrl, (store) => importCard({ config, store }, file, options));
        const { persona } = result;
        console.log(
          `Imported ${persona.name} as ${persona.id} (Character Card ${result.spec.toUpperCase()})${persona.avatar ? ` with avatar ${persona.avatar}` : ''}.`,
        );
        if (result.pendingSamples)
          console.log(
            `${result.pendingSamples} example ${result.pendingSamples === 1 ? 'line waits' : 'lines wait'} in review: \`persona review list ${persona.id}\`.`,
          );
      }),
    );
}
