import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TrainingQueue } from '../../src/scheduler/queue.ts';

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

test('runs jobs in arrival order, one at a time by default', async () => {
  const order: string[] = [];
  const gates = new Map([
    ['a', deferred()],
    ['b', deferred()],
  ]);
  const queue = new TrainingQueue(async (id) => {
    order.push(`start ${id}`);
    await gates.get(id)!.promise;
    order.push(`end ${id}`);
    return id;
  });
  const a = queue.enqueue('a');
  const b = queue.enqueue('b');
  assert.deepEqual(queue.size, { waiting: ['b'], running: ['a'] });
  gates.get('b')!.resolve();
  gates.get('a')!.resolve();
  assert.deepEqual(await Promise.all([a, b]), ['a', 'b']);
  assert.deepEqual(order, ['start a', 'end a', 'start b', 'end b']);
});

test('a persona already queued or running is not queued twice', async () => {
  let runs = 0;
  const gate = deferred();
  const queue = new TrainingQueue(async () => {
    runs++;
    await gate.promise;
    return runs;
  });
  const first = queue.enqueue('a');
  const second = queue.enqueue('a');
  gate.resolve();
  assert.equal(await first, 1);
  assert.equal(await second, 1);
  assert.equal(runs, 1);
});

test('concurrency 2 runs two personas at once; close drops waiting runs', async () => {
  const gate = deferred();
  let active = 0;
  let peak = 0;
  const queue = new TrainingQueue(async () => {
    active++;
    peak = Math.max(peak, active);
    await gate.promise;
    active--;
  }, 2);
  const runs = ['a', 'b', 'c'].map((id) => queue.enqueue(id));
  const closing = queue.close();
  gate.resolve();
  await closing;
  const results = await Promise.allSettled(runs);
  assert.equal(peak, 2);
  assert.deepEqual(
    results.map((r) => r.status),
    ['fulfilled', 'fulfilled', 'rejected'],
  );
});
