#!/usr/bin/env node
// Runs the compiled CLI (dist/, built by `npm ci` / `npm run build`) while it is current,
// else the TypeScript sources through tsx's loader. Either way in this process: no child
// process, so Ctrl-C and other signals reach the command itself.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// Written last by scripts/build-cli.mjs: its age is the build's.
const buildStamp = join(root, 'dist/cli/command-index.json');

/** True when some file under dir changed after `since` (ms); a few ms for the whole src/. */
function changedSince(dir, since) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory() ? changedSince(path, since) : statSync(path).mtimeMs > since) return true;
  }
  return false;
}

if (existsSync(buildStamp) && !changedSince(join(root, 'src'), statSync(buildStamp).mtimeMs)) {
  await import(pathToFileURL(join(root, 'dist/cli/main.js')).href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import(pathToFileURL(join(root, 'src/cli/main.ts')).href);
}
