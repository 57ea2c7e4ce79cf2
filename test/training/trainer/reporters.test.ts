// The progress bar shows loss, validation loss, tokens/s and ETA on a terminal, and nothing elsewhere.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { progressBar } from '../../../src/training/trainer/reporters.ts';
import type { TrainingEvent } from '../../../src/training/trainer/loop.ts';

/** A terminal-like stream that records what is written (the cursor calls cli-progress makes are no-ops). */
function terminal(isTTY: boolean) {
  let text = '';
  const stream = new Writable({
    write(chunk, _encoding, done) {
      text += chunk.toString();
      done();
    },
  });
  Object.assign(stream, { isTTY, columns: 200, cursorTo: () => true, clearLine: () => true, moveCursor: () => true });
  return { stream: stream as unknown as NodeJS.WriteStream, text: () => text };
}

const events: TrainingEvent[] = [
  { type: 'start', totalSteps: 10, resumedFromStep: 0, trainRows: 40, validationRows: 4 },
  { type: 'eval', step: 0, validationLoss: 5.4321, improved: true },
  {
    type: 'step',
    step: 1,
    totalSteps: 10,
    epoch: 0.1,
    loss: 5.1234,
    learningRate: 1e-3,
    gradNorm: 1,
    tokens: 100,
    tokensPerSecond: 3150.4,
    elapsedSeconds: 0.5,
  },
];

test('progress bar on a TTY shows step, loss, validation loss, tokens/s and ETA', () => {
  const tty = terminal(true);
  const bar = progressBar(tty.stream);
  for (const event of events) bar(event);
  bar.stop();
  const shown = tty.text();
  assert.match(shown, /1\/10 steps/);
  assert.match(shown, /loss 5\.123/);
  assert.match(shown, /val 5\.432/);
  assert.match(shown, /3150 tok\/s/);
  assert.match(shown, /ETA/);
});

test('no progress bar when stderr is not a terminal (logs, --json, CI)', () => {
  const pipe = terminal(false);
  const bar = progressBar(pipe.stream);
  for (const event of events) bar(event);
  bar.stop();
  assert.equal(pipe.text(), '');
});
