/**
 * The one logger. JSON lines on stderr (pino), so stdout stays clean for `--json` output;
 * `pretty` (a person at a terminal) prints each as one readable line instead.
 */
import { pino, type DestinationStream, type Logger } from 'pino';

let root: Logger | undefined;

const LEVELS: Record<number, string> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warning', 50: 'error', 60: 'fatal' };

/** `warning [job] training job failed (persona=fdr, code=model_corrupt)` from a pino JSON line. */
export function prettyLogLine(line: string): string {
  const { level, time: _time, msg, component, ...fields } = JSON.parse(line) as Record<string, unknown>;
  const details = Object.entries(fields)
    .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`)
    .join(', ');
  return `${LEVELS[level as number] ?? level}${component ? ` [${component}]` : ''} ${msg ?? ''}${details ? ` (${details})` : ''}\n`;
}

const prettyStderr: DestinationStream = { write: (line: string) => void process.stderr.write(prettyLogLine(line)) };

export function configureLogger(level: string, pretty = false): Logger {
  root = pino({ level, base: undefined }, pretty ? prettyStderr : pino.destination(2));
  return root;
}

export function logger(component?: string): Logger {
  root ??= pino({ level: 'warn', base: undefined }, pino.destination(2));
  return component ? root.child({ component }) : root;
}
