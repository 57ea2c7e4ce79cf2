/**
 * GGUF exports run in llama.cpp (node-llama-cpp's CPU binary) exactly as the folder runs in
 * our generator: for the bundled base and tiny random folders (tied and untied embeddings),
 * greedy tokens are identical at f32 and f16; q8_0 and q4_0 keep the fp32 top token on ≥ 95%
 * and ≥ 85% of a reference text's positions; llama.cpp's tokenizer, built from the GGUF's
 * metadata alone, gives tokenizer.json's ids on a unicode test set (with and without special tokens), also
 * under the SmolLM, Qwen2 and Llama 3 pre-tokenizers.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generate } from '../../../src/inference/generate.ts';
import { mergeGenerationParams } from '../../../src/inference/generation-params.ts';
import { loadInferenceModel, type LoadedModel } from '../../../src/inference/loaded-model.ts';
import { argmax } from '../../../src/inference/sampler.ts';
import { StopStrings } from '../../../src/inference/stop-strings.ts';
import { exportGguf, type GgufQuant } from '../../../src/modelfmt/gguf/gguf-export.ts';
import { loadTokenizer } from '../../../src/modelfmt/tokenizer.ts';
import { loadLlamaCpp, readGgufMetadata } from '../../fixtures/llama-cpp.ts';
import { writeTinyModelFolder } from '../../fixtures/tiny-model-folder.ts';

const UNICODE_TEXTS = [
  'Hello world, how are you today?',
  "I've been told he's there; we'll see. DON'T shout!",
  'naïve café, façade — “quotes” and ‘single’ … ellipsis',
  'Grüße aus Köln: Straße, Übermaß, ÄÖÜ äöü ß',
  'нещо на Български, и Русский текст',
  '我想在apple工作1314151天～ 日本語のテキスト',
  'emoji 🙂🦙 😶‍🌫️ ✅ 👍🏽 family 👨‍👩‍👧',
  '3 33 333 3333 33333 3.14159 1,000,000',
  'tabs\tand  double  spaces\n\nnew lines\r\n  indented',
  '   leading and trailing   ',
  'code: `x = f(a, b) -> {k: v}` #hash @mention $100 100%',
];

const QWEN2_SPLIT = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
const LLAMA3_SPLIT = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

const REFERENCE_TEXT =
  'Four score and seven years ago our fathers brought forth on this continent, a new nation, conceived in Liberty, and dedicated to the proposition that all men are created equal. Now we are engaged in a great civil war.';

const tmp = mkdtempSync(join(tmpdir(), 'gguf-llama-cpp-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

/** Our greedy tokens up to `count` or an end-of-generation token (llama.cpp stops there too, without yielding it). */
async function oursGreedy(model: LoadedModel, prompt: number[], count: number): Promise<number[]> {
  const params = mergeGenerationParams({ temperature: 0, repetition_penalty: 1, max_new_tokens: count, min_new_tokens: 0 });
  const result = await generate(model.session, prompt, {
    params,
    tokenizer: model.tokenizer,
    eosTokenIds: model.tokenizer.stopTokenIds,
    stopStrings: new StopStrings([]),
  });
  return result.tokens;
}

function exportTo(dir: string, name: string, quant: GgufQuant): string {
  const file = join(tmp, `${name}-${quant}.gguf`);
  exportGguf(dir, file, { quant, name });
  return file;
}

const FOLDERS: { name: string; dir: () => string; promptText: string }[] = [
  {
    name: 'bundled base',
    dir: () => 'models/base',
    promptText: '<|im_start|>system\nYou are Ada.<|im_end|>\n<|im_start|>Bob\nHello there, how was your day?<|im_end|>\n<|im_start|>Ada\n',
  },
  { name: 'tiny random (tied)', dir: () => writeTinyModelFolder({ dir: join(tmp, 'tiny-tied') }).dir, promptText: 'Hello there, how are you today?' },
  {
    name: 'tiny random (untied, hub)',
    dir: () => writeTinyModelFolder({ flavour: 'hub', dir: join(tmp, 'tiny-hub'), std: 0.35 }).dir,
    promptText: 'Good morning, friends! 🙂',
  },
];

for (const folder of FOLDERS) {
  describe(`GGUF of the ${folder.name}`, () => {
    let dir: string;
    let ours: LoadedModel;
    let prompt: number[];
    before(async () => {
      dir = folder.dir();
      ours = await loadInferenceModel(dir, { threads: 1 });
      prompt = ours.tokenizer.encode(folder.promptText);
    });
    after(() => ours.dispose());

    for (const quant of ['f32', 'f16'] as const) {
      test(`${quant}: llama.cpp's greedy tokens equal ours`, async () => {
        const cpp = await loadLlamaCpp(exportTo(dir, folder.name.replace(/\W+/g, '-'), quant));
        try {
          const expected = await oursGreedy(ours, prompt, 16);
          assert.ok(expected.length >= 8, `a reply long enough to compare (${expected.length} tokens)`);
          assert.deepEqual(await cpp.greedy(prompt, 16), expected);
        } finally {
          await cpp.dispose();
        }
      });
    }

    test("llama.cpp's tokenizer from the GGUF gives tokenizer.json's ids", async () => {
      const cpp = await loadLlamaCpp(exportTo(dir, `${folder.name.replace(/\W+/g, '-')}-tok`, 'q8_0'));
      try {
        for (const text of UNICODE_TEXTS) assert.deepEqual(cpp.tokenize(text), ours.tokenizer.encode(text), JSON.stringify(text));
        const withSpecials = [...cpp.model.tokenize(`<|im_start|>user\n${UNICODE_TEXTS[2]}<|im_end|>\n`, true)];
        assert.deepEqual(withSpecials, ours.tokenizer.encode(`<|im_start|>user\n${UNICODE_TEXTS[2]}<|im_end|>\n`));
      } finally {
        await cpp.dispose();
      }
    });
  });
}

/** The same byte-level BPE vocabulary under the pre-tokenizers of SmolLM, Qwen2.5 and Llama 3 (as their Hub tokenizer.json files spell them). */
const PRE_TOKENIZERS: { pre: string; preTokenizer: Record<string, unknown>; ignoreMerges?: boolean }[] = [
  {
    pre: 'smollm',
    preTokenizer: {
      type: 'Sequence',
      pretokenizers: [
        { type: 'Digits', individual_digits: true },
        { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
      ],
    },
  },
  { pre: 'qwen2', preTokenizer: splitThenBytes(QWEN2_SPLIT) },
  { pre: 'llama-bpe', preTokenizer: splitThenBytes(LLAMA3_SPLIT), ignoreMerges: true },
];

function splitThenBytes(regex: string): Record<string, unknown> {
  return {
    type: 'Sequence',
    pretokenizers: [
      { type: 'Split', pattern: { Regex: regex }, behavior: 'Isolated', invert: false },
      { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: false },
    ],
  };
}

for (const kind of PRE_TOKENIZERS) {
  test(`${kind.pre} pre-tokenizer: llama.cpp tokenizes the unicode set as tokenizer.json does`, async () => {
    const dir = writeTinyModelFolder({ dir: join(tmp, `pre-${kind.pre}`), texts: [...UNICODE_TEXTS, REFERENCE_TEXT], vocabSize: 600 }).dir;
    const file = join(dir, 'tokenizer.json');
    const json = JSON.parse(readFileSync(file, 'utf8'));
    json.pre_tokenizer = kind.preTokenizer;
    if (kind.ignoreMerges) json.model.ignore_merges = true;
    writeFileSync(file, JSON.stringify(json));
    const gguf = exportTo(dir, `pre-${kind.pre}`, 'q8_0');
    assert.equal((await readGgufMetadata(gguf))['tokenizer.ggml.pre'], kind.pre);
    const ours = loadTokenizer(dir);
    const cpp = await loadLlamaCpp(gguf);
    try {
      for (const text of UNICODE_TEXTS) assert.deepEqual(cpp.tokenize(text), ours.encode(text), JSON.stringify(text));
    } finally {
      await cpp.dispose();
    }
  });
}

test('q8_0 and q4_0 keep fp32 top-1 on at least 95% and 85% of a reference text (bundled base; 100% and 96% when written)', async () => {
  const ours = await loadInferenceModel('models/base', { threads: 1 });
  try {
    const ids = ours.tokenizer.encode(REFERENCE_TEXT);
    const vocab = ours.tokenizer.vocabSize;
    const logits = await ours.session.scoreAll(ids);
    const fp32Top = ids.map((_, t) => argmax(logits.subarray(t * vocab, (t + 1) * vocab)));
    for (const [quant, floor] of [
      ['q8_0', 0.95],
      ['q4_0', 0.85],
    ] as const) {
      const cpp = await loadLlamaCpp(exportTo('models/base', 'base-agree', quant));
      const top = await cpp.topTokens(ids);
      await cpp.dispose();
      const agreement = fp32Top.filter((t, i) => t === top[i]).length / ids.length;
      assert.ok(agreement >= floor, `${quant} top-1 agreement ${(100 * agreement).toFixed(1)}%`);
    }
  } finally {
    await ours.dispose();
  }
});

test('metadata as llama.cpp reads it: architecture, shapes, special ids, chat template', async () => {
  const meta = await readGgufMetadata(exportTo('models/base', 'base-meta', 'f16'));
  assert.equal(meta['general.architecture'], 'llama');
  assert.equal(meta['general.file_type'], 1);
  assert.equal(meta['llama.block_count'], 6);
  assert.equal(meta['llama.attention.head_count_kv'], 4);
  assert.equal(meta['llama.vocab_size'], 8192);
  assert.equal(meta['tokenizer.ggml.model'], 'gpt2');
  assert.equal(meta['tokenizer.ggml.pre'], 'gpt-2');
  assert.equal(meta['tokenizer.ggml.eos_token_id'], 2);
  assert.equal(meta['tokenizer.ggml.bos_token_id'], 0);
  assert.equal(meta['tokenizer.ggml.padding_token_id'], 3);
  assert.equal(meta['tokenizer.ggml.add_bos_token'], false);
  assert.match(String(meta['tokenizer.chat_template']), /generation_name/);
});
