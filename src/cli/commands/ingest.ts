/**
 * `persona ingest <persona> <path…>`: read transcripts, subtitles, scripts and chat exports
 * into the persona's candidates (approved at once with --trusted). One store batch per
 * file: Ctrl-C stops after the current file and a re-run finishes without duplicates.
 */
import { userInfo } from 'node:os';
import type { Command } from 'commander';
import cliProgress from 'cli-progress';
import { PersonaError } from '../../errors.js';
import { expandPaths } from '../../ingest/index.js';
import { loadPersona } from '../../personas/load.js';
import { withStore } from '../../store/index.js';
import { runIngest, type IngestSummary } from '../../curation/index.js';
import { action, cliConfig } from '../command-context.js';
import { plural } from '../plural.js';

interface IngestFlags {
  speaker?: string;
  trusted?: boolean;
  json?: boolean;
}

function counts(record: Record<string, number>): string {
  const parts = Object.entries(record)
    .filter(([, n]) => n > 0)
    .map(([kind, n]) => `${kind} ${n}`);
  return parts.length ? parts.join(', ') : 'none';
}

export function formatIngestSummary(summary: IngestSummary, trusted: boolean, speaker?: string): string {
  const lines = [
    `${summary.interrupted ? 'Interrupted after' : 'Ingested'} ${plural(summary.files, 'file')} for ${summary.persona} (${plural(summary.messages, 'message')}; new samples ${trusted ? 'approved' : 'pending review'})`,
    `  samples added:   ${summary.added}`,
    `  already stored:  ${summary.existing}`,
    `  duplicates:      ${summary.duplicates}`,
    `  redactions:      ${counts(summary.redactions)}`,
    `  dropped:         ${counts(summary.dropped)}`,
    `  bad messages:    ${summary.invalidMessages}`,
    ...summary.invalid.map(({ file, position, reason }) => `    ${file} ${position}: ${reason}`),
    `  skipped files:   ${summary.skipped.length}`,
    ...summary.skipped.map(({ file, reason }) => `    ${file}: ${reason}`),
  ];
  if (Object.keys(summary.attribution).length > 0)
    lines.splice(lines.indexOf(`  dropped:         ${counts(summary.dropped)}`) + 1, 0, `  subtitle speakers: ${counts(summary.attribution)}`);
  if (summary.optedOut > 0) lines.splice(4, 0, `  opted out:       ${summary.optedOut}`);
  if (trusted) lines.splice(3, 0, `  pending approved: ${summary.approvedPending} (already stored; ${summary.keptRejected} rejected left as they are)`);
  for (const { file, speakers } of summary.speakerNotFound) {
    lines.push(`  ${file}: nobody called "${speaker}" speaks here; speakers found: ${speakers.join(', ')} (pick one with --speaker)`);
  }
  if (summary.interrupted) lines.push('Run the same command again to finish; stored files are not read twice.');
  return lines.join('\n');
}

function progress(enabled: boolean) {
  if (!enabled) return undefined;
  return new cliProgress.SingleBar(
    { format: 'ingest [{bar}] {value}/{total} files | {file}', stream: process.stderr, hideCursor: true },
    cliProgress.Presets.shades_classic,
  );
}

export function registerIngestCommands(program: Command): void {
  program
    .command('ingest')
    .description('read transcripts, subtitles, scripts and chat exports into a persona’s samples')
    .argument('<persona>', 'persona id')
    .argument('<paths...>', 'files, folders or globs (transcripts, .srt/.vtt, text, Markdown, scripts, Discord/Slack exports, OpenAI JSONL, ShareGPT)')
    .option('--speaker <name>', 'whose words are the targets (default: the persona’s voices)')
    .option('--trusted', 'approve the new samples at once (the persona’s own material)')
    .option('--json', 'print the summary as JSON')
    .action(
      action(async (id: string, paths: string[], flags: IngestFlags) => {
        const config = cliConfig();
        const persona = loadPersona(config.PERSONAS_DIR, id);
        const missing = (await expandPaths(paths, config.root)).find((entry) => entry.missing !== undefined);
        if (missing) throw new PersonaError('input_not_found', `Cannot ingest ${missing.path}: ${missing.missing}.`, { path: missing.path });

        const controller = new AbortController();
        const interrupt = () => controller.abort();
        process.once('SIGINT', interrupt);
        process.once('SIGTERM', interrupt);
        const bar = progress(!flags.json && process.stderr.isTTY === true);
        let summary: IngestSummary;
        try {
          summary = await withStore(
            config.storeUrl,
            (store) =>
              runIngest(store, persona, paths, {
                root: config.root,
                speaker: flags.speaker,
                trusted: flags.trusted,
                by: userInfo().username,
                signal: controller.signal,
                onFile: ({ file, index, total }) => {
                  if (index === 0) bar?.start(total, 0, { file });
                  bar?.update(index, { file });
                },
              }),
            config.storeOptions,
          );
          bar?.update(summary.files, { file: 'done' });
        } finally {
          bar?.stop();
          process.removeListener('SIGINT', interrupt);
          process.removeListener('SIGTERM', interrupt);
        }
        const nothing = summary.files > 0 && summary.skipped.length === summary.files;
        if (flags.json) console.log(JSON.stringify(summary));
        // With every file skipped the error below says it all: no "Ingested 2 files" first.
        else if (!nothing) console.log(formatIngestSummary(summary, flags.trusted === true, flags.speaker));
        if (nothing) {
          const [first] = summary.skipped;
          throw new PersonaError(
            'input_unsupported',
            summary.files === 1
              ? `Nothing ingested: ${first.file} was skipped (${first.reason}).`
              : `Nothing ingested: all ${summary.files} files were skipped (first: ${first.file}: ${first.reason}).`,
            { skipped: summary.skipped },
          );
        }
        if (summary.interrupted) process.exitCode = 130;
      }),
    );
}
