/**
 * `pullBase` against a fake Hub on 127.0.0.1 serving a tiny model folder's files: the cache
 * layout Python's huggingface_hub writes, resume after a dropped connection (within a pull
 * and across runs), a corrupt file caught and never linked, gated repos, an unsupported
 * architecture refused before any weight is requested, offline mode, and a persona's
 * `base: org/name` resolving to the pulled snapshot and loading as a model folder.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type Config } from '../../src/config/config.ts';
import { isPersonaError } from '../../src/errors.ts';
import { resolveBaseDir } from '../../src/hub/base-location.ts';
import { snapshotOf } from '../../src/hub/cache.ts';
import { baseModelChoice } from '../../src/inference/model-location.ts';
import { listCachedBases } from '../../src/hub/cached-bases.ts';
import { requireHubId } from '../../src/hub/hub-id.ts';
import { pullBase } from '../../src/hub/pull.ts';
import { loadModelFolder } from '../../src/modelfmt/model-folder.ts';
import { writeTinyModelFolder } from '../fixtures/tiny-model-folder.ts';
import { FakeHub, gitBlobSha1, repoFromFolder, sha256 } from '../fakes/hub/fake-hub.ts';

let root: string;
let hub: FakeHub;
let weights: Buffer;

before(async () => {
  root = mkdtempSync(join(tmpdir(), 'hub-pull-'));
  const tiny = writeTinyModelFolder({ flavour: 'hub', dir: join(root, 'tiny') });
  const sharded = writeTinyModelFolder({ flavour: 'hub', dir: join(root, 'sharded'), sharded: true });
  weights = readFileSync(join(tiny.dir, 'model.safetensors'));
  const template = JSON.parse(readFileSync(join(tiny.dir, 'tokenizer_config.json'), 'utf8')).chat_template as string;
  const extras = { 'README.md': '# card', 'pytorch_model.bin': 'not wanted', 'chat_template.jinja': template };
  const unsupported = repoFromFolder(tiny.dir);
  unsupported.files.set('config.json', Buffer.from(JSON.stringify({ ...JSON.parse(unsupported.files.get('config.json')!.toString()), model_type: 'gpt2' })));
  hub = await new FakeHub({
    'org/tiny': { ...repoFromFolder(tiny.dir, extras), folders: ['onnx'] },
    'org/sharded': repoFromFolder(sharded.dir),
    'org/gated': { ...repoFromFolder(tiny.dir), gated: true },
    'org/gpt': unsupported,
    'org/resume': repoFromFolder(tiny.dir),
    'org/corrupt': repoFromFolder(tiny.dir),
  }).start();
});

after(async () => {
  await hub.close();
  rmSync(root, { recursive: true, force: true });
});

function configFor(name: string, env: Record<string, string> = {}): Config {
  return loadConfig({ root, env: { HF_HOME: join(root, name), HF_ENDPOINT: hub.url, ...env } });
}

async function rejection(promise: Promise<unknown>): Promise<Error & { code?: string }> {
  return promise.then(
    () => assert.fail('expected the pull to fail'),
    (error: Error) => error,
  );
}

test('a fresh pull writes the huggingface_hub cache layout with only the files the product uses', async () => {
  const config = configFor('fresh');
  const result = await pullBase(config, requireHubId('org/tiny'));
  const repoDir = join(config.HF_HOME, 'hub', 'models--org--tiny');
  assert.equal(readFileSync(join(repoDir, 'refs', 'main'), 'utf8'), hub.commit);
  const snapshot = join(repoDir, 'snapshots', hub.commit);
  assert.equal(result.dir, snapshot);
  assert.deepEqual(readdirSync(snapshot).sort(), [
    'chat_template.jinja',
    'config.json',
    'generation_config.json',
    'model.safetensors',
    'tokenizer.json',
    'tokenizer_config.json',
  ]);
  const configBytes = readFileSync(join(snapshot, 'config.json'));
  assert.ok(lstatSync(join(snapshot, 'config.json')).isSymbolicLink());
  assert.equal(readlinkSync(join(snapshot, 'config.json')), `../../blobs/${gitBlobSha1(configBytes)}`, 'regular files are named by their git blob id');
  assert.equal(readlinkSync(join(snapshot, 'model.safetensors')), `../../blobs/${sha256(weights)}`, 'LFS files are named by their sha256');
  assert.equal(hub.contentRequests('README.md').length + hub.contentRequests('pytorch_model.bin').length, 0, 'files the product does not use are not fetched');
  assert.ok(
    hub.requests.every((r) => !r.accept?.includes('xet')),
    'files are asked for over plain HTTP, not as Xet metadata',
  );
  assert.ok(!readdirSync(join(repoDir, 'blobs')).some((name) => name.endsWith('.incomplete')));
  assert.equal(result.downloadedBytes > weights.length, true);

  const again = await pullBase(config, requireHubId('org/tiny'));
  assert.equal(again.downloadedBytes, 0, 'a second pull finds everything cached');

  const [listed] = listCachedBases(config);
  assert.equal(listed.id, 'org/tiny');
  assert.equal(listed.modelType, 'llama');
  assert.deepEqual(listed.missing, []);
});

test('a sharded repo pulls its index and exactly the shards it names', async () => {
  const config = configFor('sharded');
  const result = await pullBase(config, requireHubId('org/sharded@main'));
  const shards = result.files.filter((name) => /^model-\d+-of-\d+\.safetensors$/.test(name));
  assert.ok(shards.length > 1);
  assert.ok(result.files.includes('model.safetensors.index.json'));
  const loaded = loadModelFolder(resolveBaseDir(config, 'org/sharded'));
  assert.ok(loaded.weights.size > 0);
});

test('a dropped connection resumes with a Range request, within a pull and across runs', async () => {
  const config = configFor('resume');
  hub.dropOnce = { file: 'model.safetensors', afterBytes: 5000 };
  await pullBase(config, requireHubId('org/resume'));
  const ranges = hub.contentRequests('model.safetensors').map((r) => r.range);
  assert.ok(ranges.includes('bytes=5000-' + (weights.length - 1)), `resumed from byte 5000 (saw ${ranges.join(', ')})`);
  const blob = join(config.HF_HOME, 'hub', 'models--org--resume', 'blobs', sha256(weights));
  assert.deepEqual(readFileSync(blob), weights);

  // A previous run was killed after 3000 bytes: the next pull asks only for the rest.
  const killed = configFor('killed');
  const partial = join(killed.HF_HOME, 'hub', 'models--org--resume', 'blobs', `${sha256(weights)}.incomplete`);
  mkdirSync(join(partial, '..'), { recursive: true });
  writeFileSync(partial, weights.subarray(0, 3000));
  const before = hub.requests.length;
  await pullBase(killed, requireHubId('org/resume'));
  const fetched = hub.requests.slice(before).filter((r) => r.path.startsWith('/cdn/') && r.range !== 'bytes=0-0');
  assert.deepEqual(
    fetched.map((r) => r.range),
    [`bytes=3000-${weights.length - 1}`],
  );
  assert.deepEqual(readFileSync(join(killed.HF_HOME, 'hub', 'models--org--resume', 'blobs', sha256(weights))), weights);
});

test('a corrupt file is detected, deleted and never linked into the snapshot', async () => {
  const config = configFor('corrupt');
  hub.corrupt.add('model.safetensors');
  try {
    const error = await rejection(pullBase(config, requireHubId('org/corrupt')));
    assert.ok(isPersonaError(error, 'model_corrupt'), String(error));
    assert.match(error.message, /model\.safetensors arrived corrupt \(sha256 [0-9a-f]{64} instead of [0-9a-f]{64}\)/);
  } finally {
    hub.corrupt.delete('model.safetensors');
  }
  const repoDir = join(config.HF_HOME, 'hub', 'models--org--corrupt');
  assert.ok(!existsSync(join(repoDir, 'snapshots', hub.commit, 'model.safetensors')));
  assert.deepEqual(
    readdirSync(join(repoDir, 'blobs')).filter((name) => name.startsWith(sha256(weights))),
    [],
  );
  assert.equal(existsSync(join(repoDir, 'refs', 'main')), false, 'main is recorded only once its snapshot is complete');
  assert.throws(() => resolveBaseDir(config, 'org/corrupt'), /org\/corrupt is not in the Hugging Face cache .*npx persona base pull org\/corrupt/);
  assert.throws(
    () => resolveBaseDir(config, `org/corrupt@${hub.commit}`),
    /only partly in the cache .*lacks model\.safetensors.*npx persona base pull org\/corrupt@a+1/,
  );
});

test('a gated repo without a token fails saying to set HF_TOKEN; with one it pulls', async () => {
  const error = await rejection(pullBase(configFor('gated'), requireHubId('org/gated')));
  assert.ok(isPersonaError(error, 'hub_access_denied'), String(error));
  assert.match(error.message, /org\/gated is gated or private \(HTTP 401\): set HF_TOKEN/);
  const wrong = await rejection(pullBase(configFor('gated', { HF_TOKEN: 'hf_someone_else' }), requireHubId('org/gated')));
  assert.match(wrong.message, /HTTP 403\): the token in HF_TOKEN has no access/);
  const pulled = await pullBase(configFor('gated', { HF_TOKEN: hub.token }), requireHubId('org/gated'));
  assert.equal(pulled.modelType, 'llama');
});

test('an unsupported architecture is refused from config.json before any weight is requested', async () => {
  const config = configFor('unsupported');
  const error = await rejection(pullBase(config, requireHubId('org/gpt')));
  assert.ok(isPersonaError(error, 'model_unsupported'), String(error));
  assert.match(error.message, /config\.json: model_type "gpt2" is not supported \(supported: llama, .*qwen2.*\)/);
  assert.equal(hub.requests.filter((r) => r.path.includes('org/gpt/resolve/') && !r.path.endsWith('/config.json')).length, 0, 'only config.json was requested');
  assert.equal(existsSync(join(config.HF_HOME, 'hub', 'models--org--gpt', 'snapshots')), false, 'nothing was written');
});

test('offline mode answers from the cache without a request and names the fix when missing', async () => {
  const online = configFor('offline');
  await pullBase(online, requireHubId('org/tiny'));
  const offline = configFor('offline', { HF_HUB_OFFLINE: '1' });
  const before = hub.requests.length;
  const cached = await pullBase(offline, requireHubId('org/tiny'));
  assert.equal(cached.offline, true);
  assert.equal(cached.commit, hub.commit);
  const error = await rejection(pullBase(offline, requireHubId('org/sharded')));
  assert.ok(isPersonaError(error, 'model_not_found'));
  assert.match(error.message, /org\/sharded is not in the Hugging Face cache .*run `npx persona base pull org\/sharded` with HF_HUB_OFFLINE unset/);
  assert.equal(hub.requests.length, before, 'offline mode made no request');
});

test("a persona's base: org/name resolves from the cache, and a missing one quotes the pull command", async () => {
  const config = configFor('resolve');
  await pullBase(config, requireHubId('org/tiny'));
  const dir = resolveBaseDir(config, 'org/tiny');
  assert.equal(dir, join(config.HF_HOME, 'hub', 'models--org--tiny', 'snapshots', hub.commit));
  assert.equal(resolveBaseDir(config, `org/tiny@${hub.commit}`), dir);
  assert.deepEqual(snapshotOf(config, dir), { repo: 'org/tiny', commit: hub.commit });
  assert.equal(baseModelChoice(config, { base: 'org/tiny' }).dir, dir, 'serving resolves it the same way');
  const folder = loadModelFolder(dir);
  assert.equal(folder.config.model_type, 'llama');
  assert.throws(
    () => resolveBaseDir(config, 'org/other@v2'),
    (error: Error) => isPersonaError(error, 'model_not_found') && error.message.includes('run `npx persona base pull org/other@v2` first'),
  );
  assert.equal(resolveBaseDir(config, './org/tiny'), join(root, 'org', 'tiny'), 'a ./ path stays a folder');
  assert.equal(resolveBaseDir(config, undefined), config.BASE_MODEL_DIR);
});
