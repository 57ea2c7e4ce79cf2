/**
 * Exports are portable: a LoRA version's folder export has the merged weights at the top
 * level and the adapter in adapter/, whose base pointer is the Hub id of a base pulled from
 * the Hub (with its commit) or else the base folder relative to adapter/ (which our own
 * adapter reader resolves); no file of an export holds an absolute path of this machine.
 * A GGUF export writes the file and an Ollama Modelfile (FROM, the persona's name template,
 * system prompt, sampling, stop tokens), its chat template opens the reply under the
 * persona's name by default, and an existing file is never overwritten.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import {
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { exportGgufAdapter, exportGgufModel, exportHfFolder, type ExportSource } from '../../src/app/model-export.ts';
import { loadConfig, type Config } from '../../src/config/config.ts';
import { renderChat } from '../../src/modelfmt/chat-render.ts';
import { readLlamaConfig } from '../../src/modelfmt/hf-config.ts';
import { readAdapter } from '../../src/modelfmt/peft.ts';
import { writeSafetensors } from '../../src/modelfmt/safetensors.ts';
import { personaSchema } from '../../src/personas/schema.ts';
import { loadLlamaCpp, readGgufMetadata } from '../fixtures/llama-cpp.ts';
import { writeTinyModelFolder } from '../fixtures/tiny-model-folder.ts';

const root = mkdtempSync(join(tmpdir(), 'model-export-'));
after(() => rmSync(root, { recursive: true, force: true }));
const config: Config = loadConfig({ root, env: { DATA_DIR: 'data', HF_HOME: join(root, 'hf'), LOG_LEVEL: 'silent' } });
const persona = personaSchema.parse({ id: 'ada', name: 'Ada', system_prompt: 'You are Ada. Be brief.', sampling: { temperature: 0.7, stop: ['Bob:'] } });

/** A LoRA version folder as the trainer writes it: merged weights, adapter files pointing at the base by absolute path, training.json naming the base. */
function loraVersion(baseDir: string, version: string): ExportSource {
  const dir = join(config.DATA_DIR, 'models', persona.id, version);
  cpSync(baseDir, dir, { recursive: true });
  const r = 2;
  const base = readLlamaConfig(baseDir);
  const [out, inp] = [base.num_attention_heads * base.head_dim, base.hidden_size];
  writeSafetensors(
    join(dir, 'adapter_model.safetensors'),
    new Map([
      ['base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight', { shape: [r, inp], data: new Float32Array(r * inp).fill(0.01) }],
      ['base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight', { shape: [out, r], data: new Float32Array(out * r).fill(0.02) }],
    ]),
    { dtype: 'F32' },
  );
  writeFileSync(
    join(dir, 'adapter_config.json'),
    JSON.stringify({
      peft_type: 'LORA',
      task_type: 'CAUSAL_LM',
      base_model_name_or_path: baseDir,
      r,
      lora_alpha: 4,
      target_modules: ['q_proj'],
      revision: null,
    }),
  );
  writeFileSync(
    join(dir, 'training.json'),
    JSON.stringify({ persona: persona.id, version, method: 'lora', base: baseDir, note: { checkpoint: join(config.DATA_DIR, 'checkpoints', persona.id) } }),
  );
  return { persona, version, dir };
}

function assertPortable(dir: string): void {
  const files = (d: string): string[] => readdirSync(d).flatMap((n) => (statSync(join(d, n)).isDirectory() ? files(join(d, n)) : [join(d, n)]));
  for (const file of files(dir)) {
    const text = readFileSync(file).toString('latin1');
    for (const path of [root, config.DATA_DIR, resolve('.')]) assert.ok(!text.includes(path), `${file} contains ${path}`);
  }
}

test('LoRA version on a local base: merged weights on top, adapter/ with a relative base pointer, no machine paths', () => {
  const baseDir = writeTinyModelFolder({ flavour: 'base', dir: join(root, 'bases', 'tiny') }).dir;
  const out = join(root, 'exports', 'local');
  const version = loraVersion(baseDir, 'v1');
  exportHfFolder(config, version, out, {});
  assert.equal(exportGgufAdapter(version, join(root, 'exports', 'lora')), join(root, 'exports', 'lora', 'ada-lora.gguf'));
  assert.throws(() => exportGgufAdapter(version, join(root, 'exports', 'lora')), /already exists/);
  assert.ok(existsSync(join(out, 'model.safetensors')) && existsSync(join(out, 'onnx', 'model.onnx')));
  assert.ok(!existsSync(join(out, 'adapter_config.json')), 'transformers with peft must not see an adapter at the top level');
  const adapterConfig = JSON.parse(readFileSync(join(out, 'adapter', 'adapter_config.json'), 'utf8'));
  assert.equal(adapterConfig.base_model_name_or_path, '../../../bases/tiny');
  assert.equal(readAdapter(join(out, 'adapter')).baseDir, baseDir, 'the relative pointer resolves to the base');
  const training = JSON.parse(readFileSync(join(out, 'training.json'), 'utf8'));
  assert.equal(training.base, '../../bases/tiny');
  assertPortable(out);
});

test('LoRA version on a base pulled from the Hub: adapter_config names the Hub id and commit', () => {
  const commit = 'a'.repeat(40);
  const snapshot = join(config.HF_HOME, 'hub', 'models--HuggingFaceTB--SmolLM2-135M', 'snapshots', commit);
  writeTinyModelFolder({ flavour: 'base', dir: snapshot });
  const out = join(root, 'exports', 'hub');
  exportHfFolder(config, loraVersion(snapshot, 'v2'), out, {});
  const adapterConfig = JSON.parse(readFileSync(join(out, 'adapter', 'adapter_config.json'), 'utf8'));
  assert.equal(adapterConfig.base_model_name_or_path, 'HuggingFaceTB/SmolLM2-135M');
  assert.equal(adapterConfig.revision, commit);
  assert.equal(JSON.parse(readFileSync(join(out, 'training.json'), 'utf8')).base, 'HuggingFaceTB/SmolLM2-135M');
  assertPortable(out);

  // The base itself, its weights a symlink into the cache's blobs/ as Hub caches store them: the export holds the bytes.
  const blob = join(config.HF_HOME, 'hub', 'models--HuggingFaceTB--SmolLM2-135M', 'blobs', 'weights');
  mkdirSync(join(blob, '..'), { recursive: true });
  renameSync(join(snapshot, 'model.safetensors'), blob);
  symlinkSync(relative(snapshot, blob), join(snapshot, 'model.safetensors'));
  const baseOut = join(root, 'exports', 'hub-base');
  exportHfFolder(config, { persona, version: 'base', dir: snapshot }, baseOut, {});
  assert.ok(!lstatSync(join(baseOut, 'model.safetensors')).isSymbolicLink());
  assert.deepEqual(readFileSync(join(baseOut, 'model.safetensors')), readFileSync(blob));
});

test('GGUF export: the file loads in llama.cpp, the Modelfile carries template, system prompt, sampling and stops; nothing is overwritten', async () => {
  const baseDir = writeTinyModelFolder({ flavour: 'base', dir: join(root, 'bases', 'gguf') }).dir;
  const out = join(root, 'exports', 'gguf', 'ada.gguf');
  const file = exportGgufModel(config, { persona, version: 'base', dir: baseDir }, out, { quant: 'q8_0' });
  assert.equal(file, out);
  const modelfile = readFileSync(join(root, 'exports', 'gguf', 'Modelfile'), 'utf8');
  assert.match(modelfile, /^FROM \.\/ada\.gguf$/m);
  assert.match(modelfile, /^SYSTEM """You are Ada\. Be brief\."""$/m);
  assert.match(modelfile, /\{\{- end \}\}<\|im_start\|>Ada\n"""/, 'the reply opens under the persona name, as our generator prompts');
  assert.match(modelfile, /^PARAMETER temperature 0\.7$/m);
  for (const stop of ['<|im_end|>', '<|im_start|>', 'Bob:']) assert.ok(modelfile.includes(`PARAMETER stop "${stop}"`), stop);
  assertPortable(join(root, 'exports', 'gguf'));
  const cpp = await loadLlamaCpp(out);
  assert.ok(cpp.tokenize('Good morning, friends.').length > 0);
  await cpp.dispose();
  // Apps that render the GGUF's template without generation_name still open the reply under the persona's name.
  const template = String((await readGgufMetadata(out))['tokenizer.chat_template']);
  const prompt = renderChat({ chat_template: template }, [{ role: 'user', content: 'Hi' }], { addGenerationPrompt: true });
  assert.ok(prompt.endsWith('<|im_start|>user\nHi<|im_end|>\n<|im_start|>Ada\n'), prompt);

  const before = readFileSync(out);
  assert.throws(() => exportGgufModel(config, { persona, version: 'base', dir: baseDir }, out, { quant: 'f16' }), /already exists/);
  assert.deepEqual(readFileSync(out), before);
  const folder = join(root, 'exports', 'gguf-dir');
  mkdirSync(folder);
  assert.equal(exportGgufModel(config, { persona, version: 'base', dir: baseDir }, folder, { quant: 'q4_0' }), join(folder, 'ada.gguf'));
  assert.ok(existsSync(join(folder, 'Modelfile')));
});
