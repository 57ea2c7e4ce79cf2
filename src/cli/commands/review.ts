/**
 * `persona review list|approve|reject|edit`: curation from the terminal, the same decisions
 * Slack reactions and the studio take (recorded with via "cli" and the local user name).
 */
import type { Command } from 'commander';
import { userInfo } from 'node:os';
import { PersonaError } from '../../errors.js';
import { loadPersona } from '../../personas/load.js';
import { withStore, type Store } from '../../store/index.js';
import { decide, listSamples, resolveSampleId, SAMPLE_STATES, type DecisionAction, type SampleRecord, type SampleState } from '../../curation/index.js';
import { action, cliConfig } from '../command-context.js';
import { wholeNumber } from '../options.js';
import { registerReviewBulkCommands } from './review-bulk.js';

const SHORT_ID = 12;

function parseState(value: string): SampleState {
  if ((SAMPLE_STATES as readonly string[]).includes(value)) return value as SampleState;
  throw new PersonaError('invalid_argument', `--state "${value}" is not a state (choose ${SAMPLE_STATES.join(', ')}).`, { field: 'state' });
}

function oneLine(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

export function formatSample(sample: SampleRecord): string {
  const flags = [sample.kind, sample.exemplary ? 'exemplary' : '', sample.editedText !== undefined ? 'edited' : ''].filter(Boolean).join(', ');
  const lines = [`${sample.id.slice(0, SHORT_ID)}  ${sample.state}  (${flags})  ${sample.source.ref}#${sample.source.position}`];
  for (const turn of sample.context.slice(-3)) lines.push(`    ${turn.speaker}: ${oneLine(turn.text, 100)}`);
  lines.push(`  > ${sample.speaker}: ${oneLine(sample.editedText ?? sample.text, 200)}`);
  return lines.join('\n');
}

/** Opens the persona and the store, then applies `action` to every id (prefixes allowed). */
async function decideAll(personaId: string, ids: string[], make: (id: string) => { action: DecisionAction; text?: string }): Promise<void> {
  const config = cliConfig();
  const persona = loadPersona(config.PERSONAS_DIR, personaId);
  const by = userInfo().username;
  await withStore(config.storeUrl, async (store: Store) => {
    for (const given of ids) {
      const sampleId = await resolveSampleId(store, persona.id, given);
      const outcome = await decide(store, { sampleId, by, via: 'cli', where: 'cli', ...make(sampleId) });
      console.log(
        `${sampleId.slice(0, SHORT_ID)} → ${outcome.sample.state}${outcome.sample.exemplary ? ' (exemplary)' : ''}${outcome.sample.editedText !== undefined ? ' (edited)' : ''}`,
      );
    }
  });
}

export function registerReviewCommands(program: Command): void {
  const review = program.command('review').description('curate a persona’s candidate samples: list, approve, reject, edit');

  review
    .command('list')
    .description('list samples in a state (default: pending), oldest first')
    .argument('<persona>', 'persona id')
    .option('--state <state>', SAMPLE_STATES.join(' | '), 'pending')
    .option('--limit <n>', 'show at most n samples', wholeNumber(), 20)
    .option('--json', 'print JSON (full records)')
    .action(
      action(async (id: string, flags: { state: string; limit: number; json?: boolean }) => {
        const config = cliConfig();
        const state = parseState(flags.state);
        const persona = loadPersona(config.PERSONAS_DIR, id);
        const samples = await withStore(config.storeUrl, (store) => listSamples(store, persona.id, state));
        const shown = samples.slice(0, Math.max(0, flags.limit));
        if (flags.json) {
          console.log(JSON.stringify(shown));
          return;
        }
        console.log(`${samples.length} ${state} sample(s) of ${persona.id}${shown.length < samples.length ? `, showing ${shown.length}` : ''}`);
        for (const sample of shown) console.log(formatSample(sample));
      }),
    );

  review
    .command('approve')
    .description('approve samples for the dataset')
    .argument('<persona>', 'persona id')
    .argument('<ids...>', 'sample ids or unambiguous prefixes')
    .option('--exemplary', 'also mark them exemplary (weighted higher in training)')
    .action(
      action((persona: string, ids: string[], flags: { exemplary?: boolean }) =>
        decideAll(persona, ids, () => ({ action: flags.exemplary ? 'exemplary' : 'approve' })),
      ),
    );

  review
    .command('reject')
    .description('keep samples out of the dataset')
    .argument('<persona>', 'persona id')
    .argument('<ids...>', 'sample ids or unambiguous prefixes')
    .action(action((persona: string, ids: string[]) => decideAll(persona, ids, () => ({ action: 'reject' }))));

  review
    .command('edit')
    .description('correct a sample’s text (kept beside the original) and approve it')
    .argument('<persona>', 'persona id')
    .argument('<id>', 'sample id or unambiguous prefix')
    .argument('<text>', 'the corrected text')
    .action(action((persona: string, id: string, text: string) => decideAll(persona, [id], () => ({ action: 'edit', text }))));

  registerReviewBulkCommands(review);
}
