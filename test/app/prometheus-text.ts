/** Parses Prometheus text for the metrics tests, failing on any line that is not valid exposition format. */
import assert from 'node:assert/strict';

/**
 * Prometheus text exposition format 0.0.4: comments, or `name{labels} value`. Values are Go
 * floats, parsed case-insensitively like Prometheus does (prom-client writes an unmeasured
 * event-loop lag as `Nan`).
 */
const SAMPLE = /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="(\\.|[^"\\])*",?)*\})? (-?[0-9.e+-]+|nan|[+-]?inf)( -?[0-9]+)?$/i;
const COMMENT = /^# (HELP|TYPE) [a-zA-Z_:][a-zA-Z0-9_:]* .+$/;

export function parsePrometheus(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    if (line.startsWith('#')) {
      assert.match(line, COMMENT);
      continue;
    }
    assert.match(line, SAMPLE, `not a Prometheus sample line: ${line}`);
    const cut = line.lastIndexOf(' ');
    samples.set(line.slice(0, cut), Number(line.slice(cut + 1)));
  }
  return samples;
}
