/**
 * The generator worker of bench:scale, as its own process (`node --import tsx
 * scripts/lib/scale-generator.ts <redis-url>` with the bench's configuration in the
 * environment): what `persona worker --role generator` runs, over the bench's store and base.
 * Prints `ready` once it takes replies; SIGTERM stops it.
 */
import { openCore } from '../../src/app/core.js';
import { startGeneratorWorker } from '../../src/app/generator-worker.js';
import { loadConfig } from '../../src/config/config.js';

const config = loadConfig();
const core = await openCore(config);
const worker = startGeneratorWorker(core, process.argv[2]);
console.log('ready');
process.once('SIGTERM', () => {
  void worker
    .close()
    .then(() => core.close())
    .then(() => process.exit(0));
});
