/** Child process for crash.test.ts: ingests a folder and reports each file as it starts. */
import { loadPersona } from '../../src/personas/load.ts';
import { openStore } from '../../src/store/index.ts';
import { runIngest } from '../../src/curation/index.ts';

const [root, storeUrl] = process.argv.slice(2);
const store = await openStore(storeUrl);
const persona = loadPersona(`${root}/personas`, 'crash');
const summary = await runIngest(store, persona, ['material'], { root, trusted: true, onFile: ({ index }) => process.stdout.write(`file ${index}\n`) });
await store.close();
process.stdout.write(`done ${summary.added}\n`);
