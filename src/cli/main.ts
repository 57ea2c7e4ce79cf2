/**
 * The `persona` command. Command areas are listed in areas.ts and loaded by program.ts
 * (only the one the arguments name, when the compiled CLI's command index is present).
 */
import { AREAS } from './areas.js';
import { runCli } from './program.js';

await runCli(AREAS, process.argv);
