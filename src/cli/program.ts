/**
 * Builds the `persona` program and runs it, loading only the command area the arguments
 * name. Importing an area costs 0.3-3 s (zod, onnxruntime-node, discord.js, Bolt), so the
 * compiled CLI ships a command index written at build time (scripts/build-cli.mjs): which
 * area defines each top-level command, with the line `persona --help` shows for it. With the
 * index, `persona train …` imports only the train area and `persona --help` none; without
 * it (running the TypeScript sources) every area loads.
 */
import { existsSync, readFileSync } from 'node:fs';
import { Command, Help } from 'commander';
import type { Areas } from './areas.js';

/** What `persona --help` lists for one top-level command, recorded at build time. */
export interface IndexedCommand {
  name: string;
  aliases: string[];
  term: string;
  description: string;
}
export type CommandIndex = Record<string, IndexedCommand[]>;

const INDEX_FILE = new URL('./command-index.json', import.meta.url);
const PACKAGE_FILE = new URL('../../package.json', import.meta.url);

export function cliVersion(): string {
  return (JSON.parse(readFileSync(PACKAGE_FILE, 'utf8')) as { version: string }).version;
}

function rootProgram(): Command {
  return new Command('persona')
    .description('Build character bots that talk like a real person: ingest, curate, fine-tune, chat and serve.')
    .version(cliVersion(), '-V, --version', 'print the version')
    .showHelpAfterError()
    .enablePositionalOptions();
}

/** Registers every area into a scratch program and records its top-level commands. */
export async function buildCommandIndex(areas: Areas): Promise<CommandIndex> {
  const help = new Help();
  const index: CommandIndex = {};
  for (const [area, load] of Object.entries(areas)) {
    const program = new Command('persona');
    (await load())(program);
    index[area] = program.commands.map((command) => ({
      name: command.name(),
      aliases: command.aliases(),
      term: help.subcommandTerm(command),
      description: command.description(),
    }));
  }
  return index;
}

function readCommandIndex(): CommandIndex | null {
  return existsSync(INDEX_FILE) ? (JSON.parse(readFileSync(INDEX_FILE, 'utf8')) as CommandIndex) : null;
}

/** The top-level command the arguments name (`persona help train` names train), if any. */
function requestedCommand(args: string[]): string | undefined {
  const words = args.filter((arg) => !arg.startsWith('-'));
  return words[0] === 'help' ? words[1] : words[0];
}

function areaOf(index: CommandIndex, command: string | undefined): string | undefined {
  if (!command) return undefined;
  return Object.keys(index).find((area) => index[area].some((entry) => entry.name === command || entry.aliases.includes(command)));
}

/** Help and unknown-command errors from the index alone: one placeholder per command. */
function registerPlaceholders(program: Command, index: CommandIndex): void {
  const terms = new Map<string, string>();
  for (const entry of Object.values(index).flat()) {
    program.command(entry.name).aliases(entry.aliases).description(entry.description);
    terms.set(entry.name, entry.term);
  }
  program.configureHelp({ subcommandTerm: (command) => terms.get(command.name()) ?? command.name() });
}

/** The program for these arguments (user arguments, without node and the script). */
export async function buildProgram(areas: Areas, args: string[], index: CommandIndex | null = readCommandIndex()): Promise<Command> {
  const program = rootProgram();
  const area = index ? areaOf(index, requestedCommand(args)) : undefined;
  if (area) (await areas[area]())(program);
  else if (index) registerPlaceholders(program, index);
  else for (const load of Object.values(areas)) (await load())(program);
  return program;
}

export async function runCli(areas: Areas, argv: string[]): Promise<void> {
  const program = await buildProgram(areas, argv.slice(2));
  await program.parseAsync(argv);
}
