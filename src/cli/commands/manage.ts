/**
 * `persona create|rename|copy|remove`: managing personas with their data, through the same
 * functions as the studio (src/app/persona-lifecycle.ts). `remove` deletes samples, models
 * and the avatar, so it asks first: a y/N question on a terminal, `--yes` in scripts.
 */
import { createInterface } from 'node:readline/promises';
import type { Command } from 'commander';
import { PersonaError } from '../../errors.js';
import { action, cliConfig } from '../command-context.js';

/** The lifecycle module and a store, loaded only by the command that needs them (the CLI starts faster). */
async function withLifecycle<T>(
  run: (
    lifecycle: typeof import('../../app/persona-lifecycle.js'),
    deps: { config: ReturnType<typeof cliConfig>; store: import('../../store/index.js').Store },
  ) => Promise<T>,
): Promise<T> {
  const config = cliConfig();
  const [lifecycle, { withStore }] = await Promise.all([import('../../app/persona-lifecycle.js'), import('../../store/index.js')]);
  return withStore(config.storeUrl, (store) => run(lifecycle, { config, store }));
}

async function confirm(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(`${question} [y/N] `)).trim());
  } finally {
    rl.close();
  }
}

const list = (value: string) =>
  value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

export function registerManageCommands(program: Command): void {
  program
    .command('create')
    .description('write a new persona file (every other field gets its default; edit personas/<id>.yaml later)')
    .argument('<id>', 'new persona id (lower-case letters, digits and dashes)')
    .requiredOption('--name <name>', 'display name')
    .option('--description <text>', 'one line about the persona')
    .option('--system-prompt <text>', 'system prompt for replies')
    .option('--voices <names>', 'comma-separated speaker names whose words are its voice')
    .action(
      action(async (id: string, options: { name: string; description?: string; systemPrompt?: string; voices?: string }) => {
        const { createPersona } = await import('../../app/persona-lifecycle.js');
        const config = cliConfig();
        const persona = createPersona(
          { config },
          {
            id,
            name: options.name,
            description: options.description,
            system_prompt: options.systemPrompt,
            voices: { names: options.voices ? list(options.voices) : [] },
            sources: [`transcripts/${id}/**/*`],
          },
        );
        console.log(`Created ${persona.id} (${persona.name}): ${config.PERSONAS_DIR}/${persona.id}.yaml. Next: \`persona ingest ${persona.id} <files>\`.`);
      }),
    );

  program
    .command('rename')
    .description("change a persona's display name, or its id with everything that belongs to it (samples, models, history)")
    .argument('<persona>', 'persona id')
    .option('--name <name>', 'new display name')
    .option('--id <id>', 'new id: the persona file, samples, model versions and job history move to it')
    .action(
      action(async (id: string, options: { name?: string; id?: string }) => {
        if (!options.name && !options.id) throw new PersonaError('invalid_argument', 'Give --name <new name>, --id <new id>, or both.', { field: 'name' });
        const persona = await withLifecycle((lifecycle, deps) => lifecycle.renamePersona(deps, id, { name: options.name, newId: options.id }));
        console.log(
          persona.id === id
            ? `Renamed ${id} to "${persona.name}".`
            : `Renamed ${id} to ${persona.id} ("${persona.name}"), with its samples, models and history.`,
        );
      }),
    );

  program
    .command('copy')
    .description('duplicate a persona: its file, avatar and samples (in their review states) under a new id; models are not copied')
    .argument('<persona>', 'persona id')
    .argument('<new-id>', 'id of the copy')
    .option('--name <name>', 'display name of the copy (default: "<name> (copy)")')
    .action(
      action(async (id: string, newId: string, options: { name?: string }) => {
        const persona = await withLifecycle((lifecycle, deps) => lifecycle.copyPersona(deps, id, newId, { name: options.name }));
        console.log(`Copied ${id} to ${persona.id} ("${persona.name}").`);
      }),
    );

  program
    .command('remove')
    .alias('rm')
    .description('delete a persona and its data: samples, feedback, model versions, checkpoints, uploads and avatar (asks first)')
    .argument('<persona>', 'persona id')
    .option('-y, --yes', 'do not ask (for scripts)')
    .action(
      action(async (id: string, options: { yes?: boolean }) => {
        const summary = await withLifecycle(async (lifecycle, deps) => {
          const { loadPersona } = await import('../../personas/load.js');
          const persona = loadPersona(deps.config.PERSONAS_DIR, id);
          if (!options.yes) {
            if (!process.stdin.isTTY)
              throw new PersonaError('invalid_argument', `Removing "${id}" deletes its data; pass --yes to confirm when not on a terminal.`, { field: 'yes' });
            const { samples, versions } = await lifecycle.personaDataSummary(deps, id);
            if (!(await confirm(`Delete persona "${persona.name}" (${id}) with ${samples} samples and ${versions} model versions?`))) return undefined;
          }
          return lifecycle.removePersona(deps, id);
        });
        if (!summary) {
          console.log('Nothing removed.');
          return;
        }
        console.log(`Removed ${id}: ${summary.samples} samples, ${summary.versions} model versions.`);
        for (const path of summary.deleted) console.log(`  deleted ${path}`);
      }),
    );
}
