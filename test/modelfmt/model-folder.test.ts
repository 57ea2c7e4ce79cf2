// Model folders: loading bring-your-own Llama folders (GQA, untied, sharded, F16/BF16),
// one clear error per bad input naming the file, atomic saving, and PEFT adapter folders.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadModelFolder } from '../../src/modelfmt/model-folder.ts';
import { writeModelFolder } from '../../src/modelfmt/model-folder-write.ts';
import { writeSafetensors } from '../../src/modelfmt/safetensors.ts';
import { llamaParameterShapes } from '../../src/modelfmt/hf-config.ts';
import { isPersonaError, type ErrorCode } from '../../src/errors.ts';
import { writeTinyModelFolder } from '../fixtures/tiny-model-folder.ts';

const cleanup: string[] = [];
test.after(() => cleanup.forEach((d) => rmSync(d, { recursive: true, force: true })));
function tiny(options: Parameters<typeof writeTinyModelFolder>[0] = {}) {
  const folder = writeTinyModelFolder({ flavour: 'hub', ...options });
  cleanup.push(folder.dir);
  return folder;
}
const fails = (code: ErrorCode, file: string) => (e: unknown) => isPersonaError(e, code) && e.message.includes(file);

function maxDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

test('an F16 sharded GQA folder with untied embeddings loads with every weight close to the original', () => {
  const { dir, weights } = tiny({ dtype: 'F16', sharded: true });
  assert.ok(readdirSync(dir).filter((f) => f.endsWith('.safetensors')).length > 1, 'written as several shards');
  const model = loadModelFolder(dir);
  assert.equal(model.config.num_key_value_heads, 2);
  assert.equal(model.weights.size, weights.size);
  assert.ok(model.weights.has('lm_head.weight'));
  assert.ok(!model.weights.has('model.layers.0.self_attn.rotary_emb.inv_freq'));
  for (const [name, data] of weights) assert.ok(maxDiff(model.weights.get(name)!, data) < 1e-3, name);
  assert.equal(model.generationConfig.max_new_tokens, 20);
  assert.equal(model.tokenizer.decode(model.tokenizer.encode('The Union 🙂')), 'The Union 🙂');
});

test('a BF16 folder loads', () => {
  const { dir, weights } = tiny({ dtype: 'BF16' });
  const model = loadModelFolder(dir);
  for (const [name, data] of weights) assert.ok(maxDiff(model.weights.get(name)!, data) < 1e-2, name);
});

test('tied embeddings may omit lm_head; untied ones may not', () => {
  loadModelFolder(tiny({ config: { tie_word_embeddings: true } }).dir);
  const { dir, weights, config } = tiny();
  weights.delete('lm_head.weight');
  const shapes = llamaParameterShapes(config);
  writeSafetensors(join(dir, 'model.safetensors'), new Map([...weights].map(([n, data]) => [n, { shape: shapes.get(n)!, data }])), { dtype: 'F32' });
  assert.throws(
    () => loadModelFolder(dir),
    (e: unknown) => isPersonaError(e, 'model_corrupt') && /model\.safetensors: tensor "lm_head\.weight" is missing/.test((e as Error).message),
  );
});

test('missing or corrupt files fail with one error naming the file', () => {
  const a = tiny();
  writeFileSync(join(a.dir, 'config.json'), '{ not json');
  assert.throws(() => loadModelFolder(a.dir), fails('model_corrupt', join(a.dir, 'config.json')));

  const b = tiny();
  truncateSync(join(b.dir, 'model.safetensors'), statSync(join(b.dir, 'model.safetensors')).size - 10);
  assert.throws(() => loadModelFolder(b.dir), fails('model_corrupt', join(b.dir, 'model.safetensors')));

  const c = tiny({ sharded: true });
  const shards = readdirSync(c.dir)
    .filter((f) => /^model-\d+-of-\d+/.test(f))
    .sort();
  rmSync(join(c.dir, shards[shards.length - 1]));
  assert.throws(() => loadModelFolder(c.dir), fails('model_corrupt', 'model.safetensors.index.json'));

  const d = tiny();
  rmSync(join(d.dir, 'tokenizer.json'));
  assert.throws(() => loadModelFolder(d.dir), fails('model_not_found', join(d.dir, 'tokenizer.json')));

  const e = tiny();
  const config = JSON.parse(readFileSync(join(e.dir, 'config.json'), 'utf8'));
  writeFileSync(join(e.dir, 'config.json'), JSON.stringify({ ...config, hidden_size: 64 }));
  assert.throws(
    () => loadModelFolder(e.dir),
    (err: unknown) => isPersonaError(err, 'model_corrupt') && /has shape \[300, 32\] but config\.json implies \[300, 64\]/.test((err as Error).message),
  );
});

test('a tokenizer larger than the embedding is tokenizer_mismatch; a broken template is template_error', () => {
  const a = tiny();
  const config = JSON.parse(readFileSync(join(a.dir, 'config.json'), 'utf8'));
  writeFileSync(join(a.dir, 'config.json'), JSON.stringify({ ...config, vocab_size: 200 }));
  assert.throws(() => loadModelFolder(a.dir), fails('tokenizer_mismatch', join(a.dir, 'tokenizer.json')));

  const b = tiny();
  const tokenizerConfig = JSON.parse(readFileSync(join(b.dir, 'tokenizer_config.json'), 'utf8'));
  writeFileSync(join(b.dir, 'tokenizer_config.json'), JSON.stringify({ ...tokenizerConfig, chat_template: '{% for m in messages %}{{ m.content }' }));
  assert.throws(() => loadModelFolder(b.dir), fails('template_error', join(b.dir, 'tokenizer_config.json')));
});

test('writeModelFolder writes a loadable folder and a failed write leaves the old one untouched', () => {
  const source = loadModelFolder(tiny({ dtype: 'F16', sharded: true }).dir);
  const root = mkdtempSync(join(tmpdir(), 'save-folder-'));
  cleanup.push(root);
  const target = join(root, 'model');
  const parts = {
    config: source.config,
    generationConfig: source.generationConfig,
    tokenizer: { json: source.tokenizerJson, config: source.tokenizerConfig },
    weights: source.weights,
  };
  writeModelFolder(target, { ...parts, dtype: 'F16', extraFiles: { 'README.md': '# tiny\n' } });
  assert.equal(loadModelFolder(target).weights.size, source.weights.size);
  assert.equal(readFileSync(join(target, 'README.md'), 'utf8'), '# tiny\n');
  assert.equal(JSON.parse(readFileSync(join(target, 'config.json'), 'utf8')).torch_dtype, 'float16');

  const before = readFileSync(join(target, 'model.safetensors'));
  assert.throws(
    () => writeModelFolder(target, parts),
    (e: unknown) => isPersonaError(e, 'invalid_argument'),
  );
  const missing = new Map(source.weights);
  missing.delete('model.norm.weight');
  assert.throws(() => writeModelFolder(target, { ...parts, weights: missing }, { overwrite: true }), /model\.norm\.weight/);
  const extra = new Map(source.weights).set('model.stray.weight', new Float32Array(2));
  assert.throws(() => writeModelFolder(target, { ...parts, weights: extra }, { overwrite: true }), /model\.stray\.weight/);
  const badTemplate = { ...parts, tokenizer: { ...parts.tokenizer, config: { ...parts.tokenizer.config, chat_template: '{{ oops(' } } };
  assert.throws(
    () => writeModelFolder(target, badTemplate, { overwrite: true }),
    (e: unknown) => isPersonaError(e, 'template_error'),
  );
  assert.deepEqual(readFileSync(join(target, 'model.safetensors')), before);
  assert.deepEqual(readdirSync(root), ['model'], 'no temp folders left behind');

  const written = writeModelFolder(target, { ...parts, dtype: 'F32', onnx: true }, { overwrite: true });
  assert.equal(JSON.parse(readFileSync(join(target, 'config.json'), 'utf8')).torch_dtype, 'float32');
  assert.ok(written.onnx && statSync(written.onnx).size > 0, 'onnx/model.onnx is exported at write time');
});

test('a PEFT adapter folder resolves its base through base_model_name_or_path', () => {
  const base = tiny();
  const adapterDir = mkdtempSync(join(tmpdir(), 'adapter-'));
  cleanup.push(adapterDir);
  const r = 2;
  writeFileSync(
    join(adapterDir, 'adapter_config.json'),
    JSON.stringify({ peft_type: 'LORA', r, lora_alpha: 4, base_model_name_or_path: base.dir, target_modules: ['q_proj'] }),
  );
  const prefix = 'base_model.model.model.layers.0.self_attn.q_proj';
  writeSafetensors(
    join(adapterDir, 'adapter_model.safetensors'),
    new Map([
      [`${prefix}.lora_A.weight`, { shape: [r, 32], data: new Float32Array(r * 32).fill(0.01) }],
      [`${prefix}.lora_B.weight`, { shape: [32, r], data: new Float32Array(32 * r) }],
    ]),
    { dtype: 'F32' },
  );
  const model = loadModelFolder(adapterDir);
  assert.equal(model.adapter?.baseDir, base.dir);
  assert.equal(model.adapter?.weights.size, 2);
  assert.equal(model.weights.size, base.weights.size);

  writeFileSync(
    join(adapterDir, 'adapter_config.json'),
    JSON.stringify({ peft_type: 'LORA', r, lora_alpha: 4, base_model_name_or_path: 'HuggingFaceTB/SmolLM2-135M' }),
  );
  assert.throws(() => loadModelFolder(adapterDir), fails('model_not_found', 'adapter_config.json'));

  writeFileSync(join(adapterDir, 'adapter_config.json'), JSON.stringify({ peft_type: 'LORA', r: 3, lora_alpha: 4, base_model_name_or_path: base.dir }));
  assert.throws(() => loadModelFolder(adapterDir), fails('model_corrupt', 'adapter_model.safetensors'));
});
