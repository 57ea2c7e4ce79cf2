/**
 * The compiled CLI loads only the command area the arguments name (each area's imports cost
 * 0.3-3 s), lists every command in `--help` without loading any, and bin/persona.js runs the
 * CLI in its own process (compiled when current, else from source) with `--version`.
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { AREAS, type Areas } from '../../src/cli/areas.ts';
import { buildCommandIndex, buildProgram } from '../../src/cli/program.ts';

const repo = fileURLToPath(new URL('../../', import.meta.url));

/** Two small areas that record being loaded and what ran. */
function countingAreas(loaded: string[], ran: string[]): Areas {
  const area = (name: string, commands: string[]) => async () => {
    loaded.push(name);
    return (program: Command) => {
      for (const command of commands)
        program
          .command(command)
          .description(`the ${command} command`)
          .argument('<persona>')
          .action((id: string) => void ran.push(`${command} ${id}`));
    };
  };
  return { first: area('first', ['list', 'show']), second: area('second', ['train']) };
}

it('with the build-time index, a command loads only its own area and --help loads none', async () => {
  const loaded: string[] = [];
  const ran: string[] = [];
  const areas = countingAreas(loaded, ran);
  const index = await buildCommandIndex(areas);
  loaded.length = 0;

  const train = await buildProgram(areas, ['train', 'fdr'], index);
  await train.parseAsync(['train', 'fdr'], { from: 'user' });
  assert.deepEqual([loaded, ran], [['second'], ['train fdr']]);

  loaded.length = 0;
  const help = await buildProgram(areas, ['--help'], index);
  const text = help.helpInformation();
  assert.deepEqual(loaded, []);
  for (const line of ['list <persona>', 'show <persona>', 'train <persona>']) assert.match(text, new RegExp(line));
  assert.match(text, /the train command/);
});

it("the index records every area's commands, each top-level name once", async () => {
  const index = await buildCommandIndex(AREAS);
  const names = Object.values(index).flatMap((commands) => commands.map((command) => command.name));
  assert.equal(new Set(names).size, names.length, names.join(' '));
  for (const name of ['list', 'ingest', 'review', 'chat', 'train', 'serve', 'export']) assert.ok(names.includes(name), name);
});

it('bin/persona.js --version prints the package version', async () => {
  const { version } = JSON.parse(readFileSync(`${repo}package.json`, 'utf8')) as { version: string };
  const stdout = await new Promise<string>((resolve, reject) =>
    execFile(process.execPath, [`${repo}bin/persona.js`, '--version'], { cwd: repo, timeout: 60_000 }, (error, out) => (error ? reject(error) : resolve(out))),
  );
  assert.equal(stdout.trim(), version);
});
