/**
 * `persona chat <persona>`: talk to a persona in the terminal. Interactive by default (a
 * streaming REPL on node:readline; Ctrl-C stops a reply, /reset forgets the conversation,
 * /exit or Ctrl-D quits); with --prompt it prints one reply and exits, for scripts.
 * The persona's champion answers (the base until a version is promoted), as in the bots.
 */
import { createInterface } from 'node:readline/promises';
import type { Command } from 'commander';
import { openCore } from '../../app/core.js';
import type { InferenceEngine, ReplyOptions } from '../../inference/engine.js';
import type { Turn } from '../../inference/prompt-context.js';
import type { GenerationParams } from '../../inference/generation-params.js';
import { demoBaseNotice, usesBundledDemoBase } from '../../hub/base-location.js';
import { loadPersona } from '../../personas/load.js';
import type { Persona } from '../../personas/schema.js';
import { isPersonaError } from '../../errors.js';
import { action, cliConfig } from '../command-context.js';
import { decimalNumber, wholeNumber } from '../options.js';

interface ChatOptions {
  model?: string;
  prompt?: string;
  maxNewTokens?: number;
  temperature?: number;
  seed?: number;
}

const USER = 'User';

function overridesFrom(options: ChatOptions): Partial<GenerationParams> {
  return { max_new_tokens: options.maxNewTokens, temperature: options.temperature, seed: options.seed };
}

async function replyStreaming(engine: InferenceEngine, persona: Persona, turns: Turn[], options: ReplyOptions): Promise<string> {
  const reply = await engine.replyAs(persona, turns, { ...options, onDelta: (delta) => process.stdout.write(delta.text) });
  process.stdout.write('\n');
  return reply.text;
}

async function interactive(engine: InferenceEngine, persona: Persona, options: ReplyOptions): Promise<void> {
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  const turns: Turn[] = [];
  let generating: AbortController | undefined;
  rl.on('SIGINT', () => (generating ? generating.abort() : rl.close()));
  console.log(`Chatting with ${persona.name}. /reset forgets the conversation, /exit quits; Ctrl-C stops a reply.`);
  try {
    for (;;) {
      const line = await rl.question(`${USER}> `).catch(() => undefined);
      if (line === undefined || line.trim() === '/exit') return;
      if (line.trim() === '/reset') {
        turns.length = 0;
        continue;
      }
      if (!line.trim()) continue;
      turns.push({ speaker: USER, text: line });
      process.stdout.write(`${persona.name}> `);
      generating = new AbortController();
      try {
        turns.push({ speaker: persona.name, text: await replyStreaming(engine, persona, turns, { ...options, signal: generating.signal }) });
      } catch (error) {
        if (!isPersonaError(error)) throw error;
        process.stdout.write(error.code === 'generation_aborted' ? ' [stopped]\n' : `\nerror: ${error.message}\n`);
      } finally {
        generating = undefined;
      }
    }
  } finally {
    rl.close();
  }
}

/**
 * Lines piped in (`persona chat fdr < questions.txt`): every line is a turn of one
 * conversation, answered in order, one `Name> reply` line each. The line iterator buffers
 * input that arrives while a reply is generated, where rl.question() would drop it.
 */
async function piped(engine: InferenceEngine, persona: Persona, options: ReplyOptions): Promise<void> {
  const turns: Turn[] = [];
  for await (const line of createInterface({ input: process.stdin, terminal: false })) {
    const text = line.trim();
    if (text === '/exit') return;
    if (text === '/reset') turns.length = 0;
    if (!text || text.startsWith('/')) continue;
    turns.push({ speaker: USER, text });
    process.stdout.write(`${persona.name}> `);
    turns.push({ speaker: persona.name, text: await replyStreaming(engine, persona, turns, options) });
  }
}

export function registerChatCommands(program: Command): void {
  program
    .command('chat')
    .description('chat with a persona in the terminal (streaming); --prompt prints one reply and exits')
    .argument('<persona>', 'persona id')
    .option('--model <version>', 'model version to use, or "base" (default: the champion, else base)')
    .option('--prompt <text>', 'reply to this one message and exit')
    .option('--max-new-tokens <n>', 'longest reply, in tokens', wholeNumber(1))
    .option('--temperature <x>', 'sampling temperature (0 = greedy)', decimalNumber())
    .option('--seed <n>', 'seed for reproducible sampling', wholeNumber())
    .action(
      action(async (id: string, options: ChatOptions) => {
        const config = cliConfig();
        const persona = loadPersona(config.PERSONAS_DIR, id);
        if (usesBundledDemoBase(config, persona.base)) process.stderr.write(`note: ${demoBaseNotice(persona.name)}\n`);
        const core = await openCore(config);
        const replyOptions: ReplyOptions = { model: options.model, overrides: overridesFrom(options) };
        try {
          if (options.prompt !== undefined) await replyStreaming(core.engine, persona, [{ speaker: USER, text: options.prompt }], replyOptions);
          else if (process.stdin.isTTY) await interactive(core.engine, persona, replyOptions);
          else await piped(core.engine, persona, replyOptions);
        } finally {
          await core.close();
        }
      }),
    );
}
