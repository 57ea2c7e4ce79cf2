/**
 * docs/benchmarks.md holds one section per benchmark between `<!-- bench:NAME:start -->`
 * and `<!-- bench:NAME:end -->` markers; each benchmark rewrites only its own section.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export const BENCHMARKS_DOC = 'docs/benchmarks.md';

/** Replaces (or appends) the section of benchmark `name` with `lines` (heading included). */
export function writeBenchmarkSection(name: string, lines: string[], file = BENCHMARKS_DOC): void {
  const start = `<!-- bench:${name}:start -->`;
  const end = `<!-- bench:${name}:end -->`;
  const section = [start, ...lines, end].join('\n');
  const current = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmarks\n';
  const from = current.indexOf(start);
  const to = current.indexOf(end);
  const next = from >= 0 && to > from ? current.slice(0, from) + section + current.slice(to + end.length) : `${current.trimEnd()}\n\n${section}\n`;
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, next);
}
