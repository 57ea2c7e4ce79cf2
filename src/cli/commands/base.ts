/**
 * `persona base pull|list|info|remove`: real base models from the Hugging Face Hub, kept in
 * the cache Python's huggingface_hub shares (HF_HOME). A persona uses one with
 * `base: org/name` in its file.
 */
import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import type { Config } from '../../config/config.js';
import { PersonaError } from '../../errors.js';
import { findCachedBase, listCachedBases, removeCachedRepo, type CachedBase } from '../../hub/cached-bases.js';
import { readRef } from '../../hub/cache.js';
import { baseHubId, SUGGESTED_BASE } from '../../hub/base-location.js';
import { DEFAULT_REVISION, formatHubId, pullCommand, requireHubId } from '../../hub/hub-id.js';
import { pullBase, type PullProgress, type PullResult } from '../../hub/pull.js';
import { loadAllPersonas } from '../../personas/load.js';
import { action, cliConfig } from '../command-context.js';

const MB = 1e6;
const mb = (bytes: number) => `${(bytes / MB).toFixed(bytes < 10 * MB ? 1 : 0)} MB`;
const params = (n: number | null) =>
  n === null ? '?' : n >= 1e9 ? `${(n / 1e9).toFixed(2)}B` : n >= 1e6 ? `${(n / 1e6).toFixed(1)}M` : `${(n / 1e3).toFixed(1)}K`;

/** A byte progress bar with speed on stderr (drawn only on a terminal). */
function downloadBar(label: string): { update: (progress: PullProgress) => void; stop: () => void } {
  const bar = new cliProgress.SingleBar(
    {
      format: `${label} [{bar}] {percentage}% | {done}/{size} | {speed} | eta {eta_formatted} | {file}`,
      stream: process.stderr,
      hideCursor: true,
      etaBuffer: 50,
    },
    cliProgress.Presets.shades_classic,
  );
  const started = Date.now();
  let last: PullProgress | undefined;
  return {
    update(progress) {
      const { file, done, total } = progress;
      const payload = { file, done: mb(done), size: mb(total), speed: `${mb(done / Math.max(0.001, (Date.now() - started) / 1000))}/s` };
      if (!last) bar.start(total, 0, payload);
      last = progress;
      bar.update(done, payload);
    },
    stop() {
      if (!last) return;
      bar.update(last.done);
      bar.stop();
    },
  };
}

/** Personas whose `base:` names this cached snapshot. */
function personasUsing(config: Config, base: CachedBase): string[] {
  return loadAllPersonas(config.PERSONAS_DIR)
    .filter((persona) => {
      const id = persona.base ? baseHubId(config, persona.base) : undefined;
      return id?.repo === base.repo && readRef(config, id) === base.commit;
    })
    .map((persona) => persona.id);
}

function summary(config: Config, base: CachedBase) {
  const { id, repo, refs, commit, dir, modelType, supported, parameters, dtypes, sizeBytes, missing } = base;
  return {
    id,
    repo,
    refs,
    commit,
    dir,
    architecture: modelType,
    supported,
    parameters,
    dtypes,
    sizeBytes,
    complete: missing.length === 0,
    missing,
    personas: personasUsing(config, base),
  };
}

function status(base: ReturnType<typeof summary>): string {
  if (!base.complete) return `incomplete: pull again`;
  return base.supported ? 'ready' : 'unsupported architecture';
}

function printInfo(base: ReturnType<typeof summary>, config: Record<string, unknown> | null): void {
  const shape = config
    ? ['num_hidden_layers', 'hidden_size', 'intermediate_size', 'num_attention_heads', 'num_key_value_heads', 'vocab_size', 'max_position_embeddings']
    : [];
  const lines = [
    ['id', base.id],
    ['commit', base.commit],
    ['refs', base.refs.join(', ') || '-'],
    ['folder', base.dir],
    ['architecture', base.architecture ?? '?'],
    ['parameters', `${params(base.parameters)}${base.parameters ? ` (${base.parameters.toLocaleString('en-US')})` : ''}`],
    ['weights', base.dtypes.join(', ') || '-'],
    ...shape.filter((key) => config?.[key] !== undefined).map((key) => [key, String(config![key])]),
    ['size on disk', mb(base.sizeBytes)],
    ['status', status(base)],
    ...(base.missing.length ? [['missing', base.missing.join(', ')]] : []),
    ['used by', base.personas.join(', ') || '-'],
  ];
  for (const [key, value] of lines) console.log(`${key.padEnd(24)} ${value}`);
}

export function registerBaseCommands(program: Command): void {
  const base = program.command('base').description('base models from the Hugging Face Hub: pull, list, info, remove');

  base
    .command('pull')
    .description('download a base model from the Hugging Face Hub into the shared cache (HF_HOME)')
    .argument('<id>', 'org/name or org/name@revision, e.g. HuggingFaceTB/SmolLM2-360M-Instruct')
    .option('--json', 'print the result as JSON')
    .action(
      action(async (text: string, options: { json?: boolean }) => {
        const config = cliConfig();
        const id = requireHubId(text);
        const bar = downloadBar(`pull ${formatHubId(id)}`);
        const interrupted = () => {
          bar.stop();
          process.stderr.write(`\ninterrupted: \`${pullCommand(id)}\` resumes where it stopped\n`);
          process.exit(130);
        };
        process.once('SIGINT', interrupted);
        let result: PullResult;
        try {
          result = await pullBase(config, id, { onProgress: bar.update });
        } finally {
          process.off('SIGINT', interrupted);
          bar.stop();
        }
        const described = summary(config, findCachedBase(config, id));
        if (options.json) return console.log(JSON.stringify({ ...described, downloadedBytes: result.downloadedBytes, offline: result.offline }));
        const how = result.offline
          ? 'found in the cache (HF_HUB_OFFLINE=1)'
          : result.downloadedBytes
            ? `downloaded ${mb(result.downloadedBytes)}`
            : 'already in the cache';
        console.log(`${formatHubId(id)}: ${how}; ${result.modelType}, ${params(described.parameters)} parameters, ${mb(described.sizeBytes)} in ${result.dir}`);
        console.log(`Use it with \`base: ${formatHubId(id)}\` in a persona file.`);
      }),
    );

  base
    .command('list')
    .description('list the base models in the Hugging Face cache and the personas that use them')
    .option('--json', 'print JSON')
    .action(
      action((options: { json?: boolean }) => {
        const config = cliConfig();
        const bases = listCachedBases(config).map((cached) => summary(config, cached));
        if (options.json) return console.log(JSON.stringify(bases));
        if (bases.length === 0)
          return console.log(`no models in ${config.HF_HOME}/hub; \`${pullCommand({ repo: SUGGESTED_BASE, revision: DEFAULT_REVISION })}\` gets one`);
        const rows = bases.map((b) => [b.id, b.architecture ?? '?', params(b.parameters), mb(b.sizeBytes), status(b), b.personas.join(', ') || '-']);
        const header = ['ID', 'ARCHITECTURE', 'PARAMS', 'SIZE', 'STATUS', 'PERSONAS'];
        const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
        for (const row of [header, ...rows])
          console.log(
            row
              .map((cell, i) => cell.padEnd(widths[i]))
              .join('  ')
              .trimEnd(),
          );
      }),
    );

  base
    .command('info')
    .description('show one cached base model: architecture, shape, parameters, size, personas')
    .argument('<id>', 'org/name or org/name@revision')
    .option('--json', 'print JSON')
    .action(
      action((text: string, options: { json?: boolean }) => {
        const config = cliConfig();
        const cached = findCachedBase(config, requireHubId(text));
        const described = summary(config, cached);
        if (options.json) return console.log(JSON.stringify({ ...described, config: cached.config }));
        printInfo(described, cached.config);
      }),
    );

  base
    .command('remove')
    .description('delete a base model (all its revisions) from the Hugging Face cache')
    .argument('<id>', 'org/name')
    .option('--force', 'remove it even if personas use it')
    .action(
      action((text: string, options: { force?: boolean }) => {
        const config = cliConfig();
        const { repo } = requireHubId(text);
        const users = listCachedBases(config)
          .filter((cached) => cached.repo === repo)
          .flatMap((cached) => personasUsing(config, cached));
        if (users.length > 0 && !options.force) {
          throw new PersonaError('invalid_argument', `${repo} is the base of ${users.join(', ')}; change their base: first, or pass --force.`, {
            repo,
            personas: users,
          });
        }
        console.log(`removed ${repo} (${mb(removeCachedRepo(config, repo))} freed)`);
      }),
    );
}
