/**
 * A batch of paths (files, folders, globs) → one FileResult per file, with new, clean,
 * deduplicated SampleDrafts. Bad files are skipped with a reason and the batch goes on.
 * Folders are walked (hidden entries skipped); a Slack export folder counts as one file.
 */
import { readdir, stat } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { glob, isDynamicPattern } from 'tinyglobby';
import { PersonaError } from '../errors.js';
import type { Persona } from '../personas/schema.js';
import { cleanRules } from './clean.js';
import { isSlackExportDir } from './formats/slack.js';
import { parseSource } from './parse.js';
import { buildMonologueSamples, buildSamples, voiceMatcher, type BuildStats } from './messages-to-samples.js';
import type { FileResult, FormatId, IngestOptions, Message, ParsedSource, SampleDraft } from './types.js';

interface Entry {
  /** Absolute path, or the path as given when it matched nothing. */
  path: string;
  missing?: string;
}

async function walk(dir: string, out: Entry[]): Promise<void> {
  if (isSlackExportDir(dir)) {
    out.push({ path: dir });
    return;
  }
  const entries = (await readdir(dir, { withFileTypes: true })).filter((e) => !e.name.startsWith('.') && e.name !== 'node_modules');
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) await walk(path, out);
    else if (entry.isFile()) out.push({ path });
  }
}

/** Files to read, in order, each once; folders are walked and globs expanded against `root`. */
export async function expandPaths(paths: string[], root: string): Promise<Entry[]> {
  const out: Entry[] = [];
  for (const given of paths) {
    if (isDynamicPattern(given)) {
      const matches = (await glob([given], { cwd: root, absolute: true, onlyFiles: true })).sort();
      if (matches.length === 0) out.push({ path: given, missing: `no files match ${given}` });
      for (const path of matches) out.push({ path: resolve(path) });
      continue;
    }
    const path = resolve(root, given);
    const info = await stat(path).catch(() => null);
    if (!info) out.push({ path: given, missing: 'no such file or folder' });
    else if (info.isDirectory()) await walk(path, out);
    else out.push({ path });
  }
  const seen = new Set<string>();
  return out.filter((entry) => entry.missing !== undefined || (!seen.has(entry.path) && seen.add(entry.path)));
}

/** Project-relative path with forward slashes: the stable `ref` of a file's samples. */
export function sourceRef(path: string, root: string): string {
  const rel = relative(root, path);
  const outside = rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel);
  return (outside ? path : rel).split(sep).join('/');
}

function emptyResult(file: string, format: FormatId | null): FileResult {
  return { file, format, drafts: [], messages: 0, redactions: {}, duplicates: 0, dropped: {}, invalid: [] };
}

/** Distinct messages, by position: a Slack thread's parent sits in its channel and its thread. */
function countMessages(parsed: ParsedSource): number {
  const positions = new Set<string>();
  for (const passage of parsed.passages) positions.add(passage.position);
  for (const conversation of parsed.conversations) for (const message of conversation) positions.add(message.position);
  return positions.size;
}

function samplesOf(persona: Persona, parsed: ParsedSource, ref: string, speaker: string | undefined, stats: BuildStats): SampleDraft[] {
  const options = { speaker, rules: cleanRules(persona, parsed), stats };
  const fileSource = { type: parsed.sourceType, ref };
  const drafts = buildMonologueSamples(persona, parsed.passages, fileSource, options);
  parsed.conversations.forEach((conversation, i) => {
    const source = parsed.platformSources?.[i] ?? fileSource;
    for (const draft of buildSamples(persona, conversation, source, options)) drafts.push(draft); // no spread: exports can be huge
  });
  return drafts;
}

/** Speakers of the conversations, most messages first, when none of them is the chosen voice. */
function speakersWhenNoneMatch(parsed: ParsedSource, isVoice: (message: Message) => boolean): string[] | undefined {
  const counts = new Map<string, number>();
  for (const conversation of parsed.conversations) {
    for (const message of conversation) {
      if (isVoice(message)) return undefined;
      if (!message.isBot) counts.set(message.speaker, (counts.get(message.speaker) ?? 0) + 1);
    }
  }
  return counts.size ? [...counts].sort((a, b) => b[1] - a[1]).map(([name]) => name) : undefined;
}

/** Ingests `paths` for `persona`; duplicates are removed across the whole batch. */
export async function* ingestPaths(persona: Persona, paths: string[], options: IngestOptions): AsyncGenerator<FileResult> {
  const root = resolve(options.root);
  const entries = await expandPaths(paths, root);
  const seenIds = new Set<string>();
  const seenKeys = new Set<string>();
  const isVoiceMessage = voiceMatcher(persona, options.speaker);
  const isVoice = (name: string) => isVoiceMessage({ speaker: name, text: '', position: '' });
  for (const [index, entry] of entries.entries()) {
    const file = entry.missing !== undefined ? entry.path : sourceRef(entry.path, root);
    options.onFile?.({ file, index, total: entries.length });
    if (entry.missing !== undefined) {
      yield { ...emptyResult(file, null), skipped: entry.missing };
      continue;
    }
    let parsed: ParsedSource;
    try {
      parsed = await parseSource(entry.path, { maxBytes: options.maxBytes, isVoice });
    } catch (error) {
      const details = error instanceof PersonaError ? error.details : {};
      const reason = String(details.reason ?? (error as Error).message);
      yield { ...emptyResult(file, (details.format as FormatId | null) ?? null), skipped: reason };
      continue;
    }
    const result = emptyResult(file, parsed.format);
    result.messages = countMessages(parsed);
    result.invalid = parsed.invalid ?? [];
    if (parsed.attribution) result.attribution = parsed.attribution;
    const others = options.speaker ? speakersWhenNoneMatch(parsed, isVoiceMessage) : undefined;
    if (others) result.otherSpeakers = others;
    const stats: BuildStats = { dropped: result.dropped, redactions: result.redactions, repeated: 0 };
    for (const draft of samplesOf(persona, parsed, file, options.speaker, stats)) {
      if (seenIds.has(draft.id)) continue; // the same message seen twice (a Slack thread parent)
      seenIds.add(draft.id);
      if (seenKeys.has(draft.dedupeKey)) {
        result.duplicates++;
        continue;
      }
      seenKeys.add(draft.dedupeKey);
      result.drafts.push(draft);
    }
    result.duplicates += stats.repeated ?? 0;
    yield result;
  }
}
