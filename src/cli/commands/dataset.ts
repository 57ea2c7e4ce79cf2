/** `persona dataset stats|export`: what a persona's dataset holds, and writing it out for other tools. */
import type { Command } from 'commander';
import { resolve } from 'node:path';
import { loadPersona } from '../../personas/load.js';
import { withStore } from '../../store/index.js';
import { datasetStats, exportDataset, parseExportFormat, parseExportSplit, type DatasetStats, EXPORT_FORMATS, EXPORT_SPLITS } from '../../datasets/index.js';
import { repairIndexes } from '../../curation/index.js';
import { baseTokenizer } from '../../evaluation/held-out.js';
import { action, cliConfig } from '../command-context.js';

function line(record: Record<string, number>): string {
  const parts = Object.entries(record).map(([key, n]) => `${key} ${n}`);
  return parts.length ? parts.join(', ') : 'none';
}

export function formatStats(stats: DatasetStats): string {
  return [
    `Dataset of ${stats.persona} — version ${stats.version}`,
    `  samples:     ${line(stats.states)}`,
    `  approved by source: ${line(stats.sources)}; by kind: ${line(stats.kinds)}; edited ${stats.edited}`,
    `  split:       train ${stats.train}, validation ${stats.validation} samples; words ${stats.words.train} / ${stats.words.validation}${stats.tokens ? `; tokens ${stats.tokens.train} / ${stats.tokens.validation} held out` : ''}`,
    `  length:      min ${stats.length.min}, median ${stats.length.median}, mean ${stats.length.mean}, max ${stats.length.max} characters`,
    `  redactions:  ${line(stats.redactions)}`,
  ].join('\n');
}

export function registerDatasetCommands(program: Command): void {
  const dataset = program.command('dataset').description('inspect and export a persona’s curated dataset');

  dataset
    .command('stats')
    .description('counts by state, source and kind, text lengths, redactions and the dataset version')
    .argument('<persona>', 'persona id')
    .option('--json', 'print JSON')
    .action(
      action(async (id: string, flags: { json?: boolean }) => {
        const config = cliConfig();
        const persona = loadPersona(config.PERSONAS_DIR, id);
        const stats = await withStore(config.storeUrl, (store) => datasetStats(store, persona, { tokenizer: baseTokenizer(config, persona) }));
        console.log(flags.json ? JSON.stringify(stats) : formatStats(stats));
      }),
    );

  dataset
    .command('repair')
    .description('rebuild the persona’s state indexes and dedupe keys from its sample records')
    .argument('<persona>', 'persona id')
    .option('--json', 'print JSON')
    .action(
      action(async (id: string, flags: { json?: boolean }) => {
        const config = cliConfig();
        const persona = loadPersona(config.PERSONAS_DIR, id);
        const report = await withStore(config.storeUrl, (store) => repairIndexes(store, persona.id), config.storeOptions);
        console.log(
          flags.json
            ? JSON.stringify(report)
            : `Checked ${report.samples} samples of ${report.persona}: ${report.added} index entries added, ${report.removed} removed, ${report.dedupeKeys} dedupe keys restored.`,
        );
      }),
    );

  dataset
    .command('export')
    .description('write the approved samples (edited text wins) as a training file')
    .argument('<persona>', 'persona id')
    .requiredOption('--format <format>', `${EXPORT_FORMATS.join(' | ')}`)
    .requiredOption('--out <file>', 'where to write')
    .option('--split <split>', `${EXPORT_SPLITS.join(' | ')}`, 'all')
    .option('--json', 'print the result as JSON')
    .action(
      action(async (id: string, flags: { format: string; out: string; split: string; json?: boolean }) => {
        const config = cliConfig();
        const format = parseExportFormat(flags.format);
        const split = parseExportSplit(flags.split);
        const persona = loadPersona(config.PERSONAS_DIR, id);
        const out = resolve(flags.out);
        const result = await withStore(config.storeUrl, (store) => exportDataset(store, persona, { format, out, split }));
        console.log(
          flags.json
            ? JSON.stringify(result)
            : `Wrote ${result.samples} samples of ${persona.id} (split ${split}, version ${result.version}) to ${result.file} as ${format}.`,
        );
      }),
    );
}
