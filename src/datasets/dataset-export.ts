/** `persona dataset export`: a snapshot's split written in one of the export formats. */
import { mkdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { PersonaError } from '../errors.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import type { Persona } from '../personas/schema.js';
import type { Store } from '../store/index.js';
import { EXPORT_FORMATS, renderDataset, type ExportFormat } from './formats.js';
import { loadDatasetSnapshot } from './snapshot.js';
import { systemPromptOf } from '../personas/greeting.js';

export const EXPORT_SPLITS = ['train', 'validation', 'all'] as const;
export type ExportSplit = (typeof EXPORT_SPLITS)[number];

const FILE_EXTENSIONS: Record<ExportFormat, string> = { openai: '.jsonl', sharegpt: '.json', text: '.txt' };

export interface ExportResult {
  file: string;
  version: string;
  samples: number;
  format: ExportFormat;
  split: ExportSplit;
}

export function parseExportFormat(value: string): ExportFormat {
  if ((EXPORT_FORMATS as readonly string[]).includes(value)) return value as ExportFormat;
  throw new PersonaError('invalid_argument', `--format "${value}" is not an export format (choose ${EXPORT_FORMATS.join(', ')}).`, { field: 'format' });
}

export function parseExportSplit(value: string): ExportSplit {
  if ((EXPORT_SPLITS as readonly string[]).includes(value)) return value as ExportSplit;
  throw new PersonaError('invalid_argument', `--split "${value}" is not a split (choose ${EXPORT_SPLITS.join(', ')}).`, { field: 'split' });
}

export async function exportDataset(store: Store, persona: Persona, options: { format: ExportFormat; out: string; split: ExportSplit }): Promise<ExportResult> {
  const snapshot = await loadDatasetSnapshot(store, persona);
  const samples = options.split === 'all' ? [...snapshot.train, ...snapshot.validation] : snapshot[options.split];
  if (samples.length === 0) {
    throw new PersonaError(
      'dataset_empty',
      `Persona "${persona.id}" has no approved samples in the ${options.split} split; ingest material or approve candidates first (\`persona review list ${persona.id}\`).`,
      {
        persona: persona.id,
      },
    );
  }
  // `--out exports/` names a folder: the file goes inside it (writing to the folder itself failed with EISDIR).
  const isFolder = statSync(options.out, { throwIfNoEntry: false })?.isDirectory() ?? false;
  const out = isFolder ? join(options.out, `${persona.id}-${options.split}${FILE_EXTENSIONS[options.format]}`) : options.out;
  mkdirSync(dirname(out), { recursive: true });
  // Write then rename, so an interrupted export never leaves half a file under the real name.
  try {
    writeFileAtomic(out, renderDataset(options.format, samples, systemPromptOf(persona)));
  } catch (error) {
    throw new PersonaError(
      'invalid_argument',
      `Cannot write the export to ${out}: ${(error as Error).message}.`,
      { field: 'out', path: out },
      { cause: error },
    );
  }
  return { file: out, version: snapshot.version, samples: samples.length, format: options.format, split: options.split };
}
