/**
 * Where training events go: a JSON-lines metrics log (one object per step, evaluation and
 * checkpoint, appended so a resumed run continues the same file) and a cli-progress bar with
 * loss, tokens/s and ETA, shown only on a terminal so that logs and `--json` stay clean.
 */
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import cliProgress from 'cli-progress';
import type { TrainingEvent } from './loop.js';

export type EventSink = (event: TrainingEvent) => void;

/** Appends every event as one JSON line with a timestamp; `fresh` truncates an old log first. */
export function metricsLog(file: string, fresh: boolean): EventSink {
  mkdirSync(dirname(file), { recursive: true });
  if (fresh) writeFileSync(file, '');
  return (event) => appendFileSync(file, `${JSON.stringify({ time: new Date().toISOString(), ...event })}\n`);
}

/** A progress bar on `stream` when it is a TTY; otherwise a sink that does nothing. */
export function progressBar(stream: NodeJS.WriteStream = process.stderr): EventSink & { stop(): void } {
  if (!stream.isTTY) return Object.assign(() => {}, { stop: () => {} });
  const bar = new cliProgress.SingleBar(
    {
      stream,
      format: 'training |{bar}| {value}/{total} steps | loss {loss} | val {val} | {speed} tok/s | ETA {eta_formatted}',
      hideCursor: true,
      etaBuffer: 20,
    },
    cliProgress.Presets.shades_classic,
  );
  let validation = '–';
  const sink = (event: TrainingEvent) => {
    if (event.type === 'start') bar.start(event.totalSteps, event.resumedFromStep, { loss: '–', val: validation, speed: '–' });
    else if (event.type === 'eval') validation = event.validationLoss.toFixed(3);
    else if (event.type === 'step') bar.update(event.step, { loss: event.loss.toFixed(3), val: validation, speed: Math.round(event.tokensPerSecond) });
  };
  return Object.assign(sink, { stop: () => bar.stop() });
}
