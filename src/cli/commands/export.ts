/**
 * `persona export <persona> [--version V|base] --out DIR [--int8]`: writes a self-contained
 * Hugging Face model folder (config, tokenizer, chat template, merged safetensors, the PEFT
 * adapter in adapter/ when trained with LoRA, and onnx/model.onnx with a KV cache) that
 * transformers (with or without peft) and transformers.js load. `--format gguf [--quant Q]`
 * writes one GGUF file for llama.cpp, Ollama and LM Studio, with an Ollama Modelfile beside
 * it (src/app/model-export.ts). Default: the persona's champion, else its base.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { openCore } from '../../app/core.js';
import { exportGgufAdapter, exportGgufModel, exportHfFolder } from '../../app/model-export.js';
import { PersonaError } from '../../errors.js';
import { resolveModelChoice } from '../../inference/model-location.js';
import { GGUF_QUANTS, type GgufQuant } from '../../modelfmt/gguf/gguf-export.js';
import { ONNX_QUANTS, type GraphQuantization } from '../../modelfmt/onnx/graph-format.js';
import { loadPersona } from '../../personas/load.js';
import { action, cliConfig } from '../command-context.js';

export function registerExportCommands(program: Command): void {
  program
    .command('export')
    .description(
      "write a persona's model as a Hugging Face folder with onnx/model.onnx (transformers, transformers.js) or as a GGUF file with an Ollama Modelfile (llama.cpp, Ollama, LM Studio)",
    )
    .argument('<persona>', 'persona id')
    .option('--out <dir>', 'folder to create (must not exist or be empty); with --format gguf also a FILE.gguf')
    .option('--card <file>', 'instead of the model: write the persona as a Character Card (.png with the card inside, or .json)')
    .option('--spec <spec>', 'card spec for --card: v2 or v3', 'v3')
    .option('--version <version>', 'a version id or "base" (default: the champion, else base)')
    .option('--int8', 'same as --quant int8 for the Hugging Face folder')
    .option(
      '--format <format>',
      'hf (a Hugging Face folder with onnx/model.onnx) or gguf (one GGUF file for llama.cpp, Ollama, LM Studio, plus an Ollama Modelfile)',
      'hf',
    )
    .option('--quant <type>', `weights: with --format hf ${ONNX_QUANTS.join(', ')} (default fp32), with --format gguf ${GGUF_QUANTS.join(', ')} (default q8_0)`)
    .option('--adapter-only', 'with --format gguf: only the LoRA adapter, as a GGUF LoRA for llama.cpp --lora / Ollama ADAPTER (a LoRA-trained version)')
    .action(
      action(
        async (
          id: string,
          options: { out?: string; card?: string; spec: string; version?: string; int8?: boolean; format?: string; quant?: string; adapterOnly?: boolean },
        ) => {
          const config = cliConfig();
          if (options.card) {
            if (options.spec !== 'v2' && options.spec !== 'v3')
              throw new PersonaError('invalid_argument', `--spec ${options.spec}: choose v2 or v3.`, { field: 'spec' });
            const { exportCard } = await import('../../app/persona-card.js');
            const written = exportCard(config, id, resolve(options.card), options.spec);
            console.log(`Wrote ${id} as a Character Card ${written.spec.toUpperCase()} to ${written.file}.`);
            return;
          }
          if (!options.out)
            throw new PersonaError('invalid_argument', 'Give --out <dir> for the model folder (or --card <file> for a character card).', { field: 'out' });
          const persona = loadPersona(config.PERSONAS_DIR, id);
          const out = resolve(options.out);
          const format = options.format ?? 'hf';
          if (format !== 'hf' && format !== 'gguf') throw new PersonaError('invalid_argument', `--format ${format}: choose hf or gguf.`, { field: 'format' });
          const quant = options.quant ?? (format === 'gguf' ? 'q8_0' : options.int8 ? 'int8' : 'fp32');
          const quants: readonly string[] = format === 'gguf' ? GGUF_QUANTS : ONNX_QUANTS;
          if (!quants.includes(quant))
            throw new PersonaError('invalid_argument', `--quant ${quant}: choose ${quants.join(', ')} for --format ${format}.`, { field: 'quant' });
          const core = await openCore(config);
          let source: { version: string; dir: string };
          try {
            const champion = options.version ? undefined : await core.registry.champion(persona.id);
            source = champion ? { version: champion.version, dir: champion.dir } : resolveModelChoice(config, persona, options.version ?? 'base');
          } finally {
            await core.close();
          }
          if (!existsSync(join(source.dir, 'config.json')))
            throw new PersonaError('model_not_found', `${source.dir} is not a model folder (no config.json).`, { dir: source.dir });
          if (format === 'gguf' && options.adapterOnly) {
            const file = exportGgufAdapter({ persona, ...source }, out);
            console.log(
              `Exported the LoRA adapter of ${persona.id} ${source.version} to ${file} (use with the base's GGUF: llama-cli -m BASE.gguf --lora ${file}).`,
            );
            return;
          }
          if (format === 'gguf') {
            const file = exportGgufModel(config, { persona, ...source }, out, { quant: quant as GgufQuant });
            console.log(
              `Exported ${persona.id} ${source.version} to ${file} (${quant}) with an Ollama Modelfile beside it: ollama create ${persona.id} -f ${join(dirname(file), 'Modelfile')}`,
            );
            return;
          }
          const quantize = quant === 'fp32' ? undefined : (quant as GraphQuantization);
          exportHfFolder(config, { persona, ...source }, out, { quantize });
          console.log(`Exported ${persona.id} ${source.version} to ${out}${quantize ? ` (${quantize} ONNX)` : ''}.`);
        },
      ),
    );
}
