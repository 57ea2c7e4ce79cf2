/**
 * `persona review bulk <persona> approve|reject [filters]` (a preview count, applied with
 * --yes) and `persona review undo <persona>`: the terminal side of src/curation/bulk.ts.
 */
import type { Command } from 'commander';
import { userInfo } from 'node:os';
import { PersonaError } from '../../errors.js';
import { loadPersona } from '../../personas/load.js';
import { withStore } from '../../store/index.js';
import { decideMatching, matchingSamples, undoLastDecision, type BulkAction, type SampleFilter } from '../../curation/index.js';
import type { SourceType } from '../../ingest/types.js';
import { action, cliConfig } from '../command-context.js';
import { wholeNumber } from '../options.js';
import { plural } from '../plural.js';
import { formatSample } from './review.js';

const ACTIONS: readonly BulkAction[] = ['approve', 'reject'];
const SOURCES: readonly SourceType[] = ['file', 'discord', 'slack', 'studio', 'import'];
const PAST = { approve: 'approved', reject: 'rejected' } as const;

interface BulkFlags {
  file?: string;
  source?: string;
  speaker?: string;
  minLength?: number;
  maxLength?: number;
  text?: string;
  yes?: boolean;
  json?: boolean;
}

function toFilter(flags: BulkFlags): SampleFilter {
  if (flags.source !== undefined && !(SOURCES as readonly string[]).includes(flags.source)) {
    throw new PersonaError('invalid_argument', `--source "${flags.source}" is not a source type (choose ${SOURCES.join(', ')}).`, { field: 'source' });
  }
  return {
    file: flags.file,
    source: flags.source as SourceType | undefined,
    speaker: flags.speaker,
    minLength: flags.minLength,
    maxLength: flags.maxLength,
    text: flags.text,
  };
}

export function registerReviewBulkCommands(review: Command): void {
  review
    .command('bulk')
    .description('approve or reject every pending candidate matching filters; shows the count first, applies with --yes')
    .argument('<persona>', 'persona id')
    .argument('<action>', ACTIONS.join(' | '))
    .option('--file <part>', 'source file (or channel) containing this text')
    .option('--source <type>', SOURCES.join(' | '))
    .option('--speaker <name>', 'spoken by')
    .option('--min-length <chars>', 'text at least this long', wholeNumber())
    .option('--max-length <chars>', 'text at most this long', wholeNumber())
    .option('--text <words>', 'text containing these words')
    .option('--yes', 'apply (without it, only count and show the first matches)')
    .option('--json', 'print JSON')
    .action(
      action(async (id: string, verb: string, flags: BulkFlags) => {
        if (!(ACTIONS as readonly string[]).includes(verb))
          throw new PersonaError('invalid_argument', `"${verb}" is not a bulk action (choose ${ACTIONS.join(' or ')}).`, { field: 'action' });
        const bulkAction = verb as BulkAction;
        const config = cliConfig();
        const persona = loadPersona(config.PERSONAS_DIR, id);
        const filter = toFilter(flags);
        await withStore(config.storeUrl, async (store) => {
          if (!flags.yes) {
            const matches = await matchingSamples(store, persona.id, filter);
            if (flags.json) return console.log(JSON.stringify({ matches: matches.length, applied: false }));
            console.log(`${plural(matches.length, 'pending candidate')} of ${persona.id} match; \`--yes\` would mark them ${PAST[bulkAction]}.`);
            for (const sample of matches.slice(0, 3)) console.log(formatSample(sample));
            return;
          }
          const outcome = await decideMatching(store, persona.id, filter, { action: bulkAction, by: userInfo().username, via: 'cli' });
          if (flags.json) return console.log(JSON.stringify({ matches: outcome.changed, applied: true }));
          console.log(`${PAST[bulkAction]} ${plural(outcome.changed, 'candidate')} of ${persona.id} (\`persona review undo ${persona.id}\` takes them back)`);
        });
      }),
    );

  review
    .command('undo')
    .description('take back your latest review decision from the terminal (a bulk run as a whole)')
    .argument('<persona>', 'persona id')
    .action(
      action(async (id: string) => {
        const config = cliConfig();
        const persona = loadPersona(config.PERSONAS_DIR, id);
        const outcome = await withStore(config.storeUrl, (store) => undoLastDecision(store, persona.id, 'cli', userInfo().username));
        if (!outcome)
          throw new PersonaError('invalid_argument', `You have no review decision on ${persona.id} from the terminal to undo.`, { persona: persona.id });
        const states = [...new Set(outcome.samples.map((s) => s.state))].join(', ');
        console.log(`undid ${outcome.action} of ${plural(outcome.samples.length, 'sample')}; now ${states}`);
      }),
    );
}
