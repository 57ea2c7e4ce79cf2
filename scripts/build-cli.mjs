// Compiles src/ to dist/ so that `persona` starts in well under a second instead of
// compiling TypeScript on every run (tsx: 3-12 s). Run by `npm ci`/`npm install` (the
// `prepare` script) and by `npm run build`. Writes, last, dist/cli/command-index.json:
// which area defines each top-level command (src/cli/program.ts); bin/persona.js treats
// dist/ as current while no file under src/ is newer than that index.
// Usage: node scripts/build-cli.mjs [--install]   (--install: a failed build warns and
// leaves no dist/, so the CLI runs from source, instead of failing the whole install)
import { spawnSync } from 'node:child_process';
import { cpSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
const installing = process.argv.includes('--install');

function give_up(message) {
  rmSync(dist, { recursive: true, force: true });
  process.stderr.write(`build-cli: ${message}${installing ? '; `persona` will run from the TypeScript sources (slower start).' : ''}\n`);
  process.exit(installing ? 0 : 1);
}

let tsc;
try {
  tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
} catch {
  give_up('TypeScript is not installed (dev dependencies omitted)');
}

rmSync(dist, { recursive: true, force: true });
// Exit status 2: type errors, JavaScript written anyway. Type checking is `npm run
// typecheck`'s job; the build only needs the emitted files.
const compiled = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
if (compiled.status === 2) process.stderr.write('build-cli: type errors above; JavaScript emitted anyway (`npm run typecheck` lists them)\n');
else if (compiled.status !== 0) give_up('tsc -p tsconfig.build.json failed');

// The studio's browser files are served from beside its compiled server.
cpSync(join(root, 'src/adapters/studio/web'), join(dist, 'adapters/studio/web'), { recursive: true });

try {
  const { AREAS } = await import(pathToFileURL(join(dist, 'cli/areas.js')).href);
  const { buildCommandIndex } = await import(pathToFileURL(join(dist, 'cli/program.js')).href);
  writeFileSync(join(dist, 'cli/command-index.json'), `${JSON.stringify(await buildCommandIndex(AREAS), null, 1)}\n`);
} catch (error) {
  give_up(`the compiled commands do not load: ${error.message}`);
}
process.exit(0);
