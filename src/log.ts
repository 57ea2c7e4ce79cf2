/** The one logger. JSON lines on stderr (pino), so stdout stays clean for `--json` output. */
import { pino, type Logger } from 'pino';

let root: Logger | undefined;

export function configureLogger(level: string): Logger {
  root = pino({ level, base: undefined }, pino.destination(2));
  return root;
}

export function logger(component?: string): Logger {
  root ??= pino({ level: 'warn', base: undefined }, pino.destination(2));
  return component ? root.child({ component }) : root;
}
