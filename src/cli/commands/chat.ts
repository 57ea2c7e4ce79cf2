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
import type { Turn } from '../../inference/context.js';
import type { GenerationParams } from '../../inference/generation-params.js';
import { loadPersona } from '../../personas/load.js';
import type { Persona } from '../../personas/schema.js';
import { isPersonaError } from '../../errors.js';
import { action, cliConfig } from '../context.js';

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

export function registerChatCommands(program: Command): void {
  program
    .command('chat')
    .description('chat with a persona in the terminal (streaming); --prompt prints one reply and exits')
    .argument('<persona>', 'persona id')
    .option('--model <version>', 'model version to use, or "base" (default: the champion, else base)')
    .option('--prompt <text>', 'reply to this one message and exit')
    .option('--max-new-tokens <n>', 'longest reply, in tokens', Number)
    .option('--temperature <x>', 'sampling temperature (0 = greedy)', Number)
    .option('--seed <n>', 'seed for reproducible sampling', Number)
    .action(
      action(async (id: string, options: ChatOptions) => {
        const config = cliConfig();
        const persona = loadPersona(config.PERSONAS_DIR, id);
        const core = await openCore(config);
        const replyOptions: ReplyOptions = { model: options.model, overrides: overridesFrom(options) };
        try {
          if (options.prompt !== undefined) await replyStreaming(core.engine, persona, [{ speaker: USER, text: options.prompt }], replyOptions);
          else await interactive(core.engine, persona, replyOptions);
        } finally {
          await core.close();
        }
      }),
    );
}
