/**
 * Large models are written in ONNX's external-data layout (onnx/model.onnx plus
 * onnx/model.onnx_data, the weights' location a relative file name); the threshold is forced
 * to 0 here so a tiny model takes that path. The external-data graph gives our generator the
 * same logits and tokens as the single-file graph; a training run and `persona export` write
 * both files, portable; transformers.js loads the exported folder and continues greedily with
 * the same tokens (config.json names the data file for it); and rewriting a graph as one file
 * removes the stale data file.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import onnxProto from 'onnx-proto';
import { AutoModelForCausalLM, AutoTokenizer, env, type Tensor } from '@huggingface/transformers';
import { exportHfFolder } from '../../../src/app/model-export.ts';
import { generate } from '../../../src/inference/generate.ts';
import { mergeGenerationParams } from '../../../src/inference/generation-params.ts';
import { loadInferenceModel, type LoadedModel } from '../../../src/inference/loaded-model.ts';
import { StopStrings } from '../../../src/inference/stop-strings.ts';
import { INFERENCE_ONNX_PATH, writeInferenceOnnx } from '../../../src/modelfmt/onnx/folder-graph.ts';
import { externalDataPath } from '../../../src/modelfmt/onnx/onnx-model-file.ts';
import type { TrainingData } from '../../../src/datasets/types.ts';
import { trainPersona } from '../../../src/training/trainer/train-persona.ts';
import { TINY_TEXTS, writeTinyModelFolder } from '../../fixtures/tiny-model-folder.ts';
import { trainingProject } from '../../fixtures/training-project.ts';

const { onnx } = onnxProto;
const FORCED = { externalDataMinBytes: 0 };
const PROMPT = 'Alice: shall we go to the market?';

/** Checks the layout: every large initializer external in `model.onnx_data` (relative), in bounds, aligned. */
function assertExternalLayout(modelFile: string): void {
  const dataFile = externalDataPath(modelFile);
  assert.equal(basename(dataFile), 'model.onnx_data');
  const dataBytes = statSync(dataFile).size;
  const model = onnx.ModelProto.decode(readFileSync(modelFile));
  const external = model.graph!.initializer!.filter((t) => t.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL);
  assert.ok(external.length >= 5, `${external.length} external initializers`);
  let weightBytes = 0;
  for (const tensor of external) {
    const entries = Object.fromEntries(tensor.externalData!.map((e) => [e.key, e.value]));
    assert.equal(entries.location, 'model.onnx_data', 'a relative file name, never a path');
    const [offset, length] = [Number(entries.offset), Number(entries.length)];
    assert.equal(offset % 64, 0, `${tensor.name} at ${offset}`);
    assert.ok(offset + length <= dataBytes && length >= 1024, `${tensor.name}: ${offset}+${length} of ${dataBytes}`);
    assert.equal(tensor.rawData?.length ?? 0, 0);
    weightBytes += length;
  }
  assert.ok(statSync(modelFile).size < weightBytes / 4, 'model.onnx holds the graph, not the weights');
}

async function greedy(model: LoadedModel, maxNewTokens = 16): Promise<number[]> {
  const params = mergeGenerationParams({ temperature: 0, repetition_penalty: 1, max_new_tokens: maxNewTokens });
  const eosTokenIds = [model.config.eos_token_id as number];
  const reply = await generate(model.session, model.tokenizer.encode(PROMPT), {
    params,
    tokenizer: model.tokenizer,
    eosTokenIds,
    stopStrings: new StopStrings([]),
  });
  return reply.tokens;
}

test('an external-data graph gives the same logits and tokens as the single-file graph', async (t) => {
  const single = writeTinyModelFolder({ seed: 21 }).dir;
  const external = mkdtempSync(join(tmpdir(), 'external-data-'));
  t.after(() => {
    for (const dir of [single, external]) rmSync(dir, { recursive: true, force: true });
  });
  cpSync(single, external, { recursive: true });
  const modelFile = writeInferenceOnnx(external, {}, join(external, INFERENCE_ONNX_PATH), FORCED);
  assert.ok(!existsSync(externalDataPath(join(single, INFERENCE_ONNX_PATH))), 'small models stay one file');
  assertExternalLayout(modelFile);

  const cache = join(external, 'cache');
  const [a, b] = [await loadInferenceModel(single, { threads: 1 }, cache), await loadInferenceModel(external, { threads: 1 }, cache)];
  try {
    const ids = a.tokenizer.encode(PROMPT);
    const [stepA, stepB] = [await a.session.step(ids, a.session.empty), await b.session.step(ids, b.session.empty)];
    assert.deepEqual(stepB.logits, stepA.logits);
    assert.deepEqual(await greedy(b), await greedy(a));
    assert.ok(!existsSync(cache), "served from the folder's own external-data graph, not re-exported");
    // The memory the model cache accounts for counts the data file too.
    assert.ok(Math.abs(b.bytes - a.bytes) < a.bytes * 0.1, `${b.bytes} vs ${a.bytes} bytes`);
  } finally {
    await a.dispose();
    await b.dispose();
  }

  // Written again as one file (a threshold it stays under): the stale data file goes.
  writeInferenceOnnx(external);
  assert.ok(!existsSync(externalDataPath(modelFile)));
  assert.equal(onnx.ModelProto.decode(readFileSync(modelFile)).graph!.initializer!.filter((x) => x.dataLocation === 1).length, 0);
});

const dataset: TrainingData = {
  version: 'ds-ext-1',
  train: TINY_TEXTS.map((text) => ({ kind: 'monologue' as const, context: [], text, speaker: 'FDR' })),
  validation: [{ kind: 'monologue', context: [], text: TINY_TEXTS[0], speaker: 'FDR' }],
};

test('a training run and persona export write model.onnx + model.onnx_data that transformers.js loads with the same tokens', async (t) => {
  const { config, persona } = trainingProject(t, { training: { method: 'lora', epochs: 1 } });
  const report = await trainPersona({ config, persona, dataset, version: 'v-ext', onnx: FORCED });
  assert.equal(report.onnx, join(report.dir, INFERENCE_ONNX_PATH));
  assertExternalLayout(report.onnx!);

  const out = join(dirname(config.DATA_DIR), 'exports', 'fdr-ext');
  exportHfFolder(config, { persona, version: 'v-ext', dir: report.dir }, out, FORCED);
  assertExternalLayout(join(out, INFERENCE_ONNX_PATH));
  // What transformers.js needs where it fetches files itself (a browser): which graph has a data file.
  for (const dir of [report.dir, out]) assert.deepEqual(readConfig(dir)['transformers.js_config'], { use_external_data_format: { 'model.onnx': 1 } });
  t.after(() => rmSync(out, { recursive: true, force: true }));

  const cache = join(config.DATA_DIR, 'onnx-cache');
  const ours = await loadInferenceModel(out, { threads: 1 }, cache);
  let tokens: number[];
  try {
    tokens = await greedy(ours, 12);
  } finally {
    await ours.dispose();
  }
  assert.ok(!existsSync(cache), 'the export serves as it is');
  // In Node transformers.js hands ONNX Runtime the file's path, which finds model.onnx_data beside it.
  env.allowRemoteModels = false;
  env.localModelPath = `${dirname(out)}/`;
  const tokenizer = await AutoTokenizer.from_pretrained(basename(out));
  const model = await AutoModelForCausalLM.from_pretrained(basename(out), { dtype: 'fp32' });
  try {
    const inputs = tokenizer(PROMPT, { add_special_tokens: false });
    const output = (await model.generate({ ...inputs, max_new_tokens: 12, do_sample: false, repetition_penalty: 1 })) as Tensor;
    const theirs = (output.tolist() as bigint[][])[0].slice(inputs.input_ids.dims[1]).map(Number);
    const eos = readConfig(out).eos_token_id;
    assert.ok(theirs.length > 0);
    assert.deepEqual(
      tokens,
      theirs.filter((id) => id !== eos),
    );
  } finally {
    await model.dispose();
  }
});

function readConfig(dir: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
}
