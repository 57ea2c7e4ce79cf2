/**
 * `persona export <persona> [--version V|base] --out DIR [--int8]`: writes a self-contained
 * Hugging Face model folder (config, tokenizer, chat template, safetensors, PEFT adapter files
 * when trained with LoRA, and onnx/model.onnx with a KV cache) that transformers.js and HF
 * tools load. Default: the persona's champion, else its base. The folder is built beside DIR
 * and renamed into place, so an existing DIR is never half-overwritten.
 */
import { cpSync, existsSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { openCore } from '../../app/core.js';
import { PersonaError } from '../../errors.js';
import { resolveModelChoice } from '../../inference/model-location.js';
import { writeInferenceOnnx } from '../../modelfmt/onnx/folder.js';
import { loadPersona } from '../../personas/load.js';
import { action, cliConfig } from '../context.js';

export function registerExportCommands(program: Command): void {
  program
    .command('export')
    .description("write a persona's model as a Hugging Face folder with onnx/model.onnx (loads in transformers.js)")
    .argument('<persona>', 'persona id')
    .requiredOption('--out <dir>', 'folder to create (must not exist or be empty)')
    .option('--version <version>', 'a version id or "base" (default: the champion, else base)')
    .option('--int8', 'quantize the linear layers and lm_head to int8 (the file is about half the size: the embedding table stays float32)')
    .action(
      action(async (id: string, options: { out: string; version?: string; int8?: boolean }) => {
        const config = cliConfig();
        const persona = loadPersona(config.PERSONAS_DIR, id);
        const out = resolve(options.out);
        if (existsSync(out) && readdirSync(out).length > 0) throw new PersonaError('invalid_argument', `${out} already exists and is not empty; choose a new folder.`, { out });
        const core = await openCore(config);
        let source: { version: string; dir: string };
        try {
          const champion = options.version ? undefined : await core.registry.champion(persona.id);
          source = champion ? { version: champion.version, dir: champion.dir } : resolveModelChoice(config, persona, options.version ?? 'base');
        } finally {
          await core.close();
        }
        if (!existsSync(join(source.dir, 'config.json'))) throw new PersonaError('model_not_found', `${source.dir} is not a model folder (no config.json).`, { dir: source.dir });
        const temp = join(dirname(out), `.tmp-export-${process.pid}`);
        rmSync(temp, { recursive: true, force: true });
        try {
          cpSync(source.dir, temp, { recursive: true, filter: (path) => !path.endsWith('metrics.jsonl') });
          writeInferenceOnnx(temp, options.int8 ? { quantize: 'int8' } : {});
          rmSync(out, { recursive: true, force: true });
          renameSync(temp, out);
        } catch (error) {
          rmSync(temp, { recursive: true, force: true });
          throw error;
        }
        console.log(`Exported ${persona.id} ${source.version} to ${out}${options.int8 ? ' (int8 ONNX)' : ''}.`);
      }),
    );
}
