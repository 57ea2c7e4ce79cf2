/**
 * The `persona` command. Each area registers its subcommands from src/cli/commands/;
 * this file only assembles them.
 */
import { Command } from 'commander';
import { registerPersonaCommands } from './commands/personas.js';
import { registerIngestCommands } from './commands/ingest.js';
import { registerDatasetCommands } from './commands/dataset.js';
import { registerReviewCommands } from './commands/review.js';
import { registerChatCommands } from './commands/chat.js';
import { registerTrainCommands } from './commands/train.js';
import { registerModelCommands } from './commands/models.js';
import { registerServeCommands } from './commands/serve.js';
import { registerExportCommands } from './commands/export.js';

const program = new Command('persona')
  .description('Build character bots that talk like a real person: ingest, curate, fine-tune, chat and serve.')
  .showHelpAfterError()
  .enablePositionalOptions();

registerPersonaCommands(program);
registerIngestCommands(program);
registerDatasetCommands(program);
registerReviewCommands(program);
registerChatCommands(program);
registerTrainCommands(program);
registerModelCommands(program);
registerServeCommands(program);
registerExportCommands(program);

await program.parseAsync(process.argv);
