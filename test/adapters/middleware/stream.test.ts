/** Splitting long replies on sentence boundaries and streaming them as posts + throttled edits. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { splitMessage, StreamRenderer, type MessageSink } from '../../../src/adapters/middleware/index.ts';

test('splits at the last sentence end that fits, never over the limit', () => {
  const text = 'One two three. Four five six! Seven eight nine? Ten.';
  assert.deepEqual(splitMessage(text, 20), ['One two three.', 'Four five six!', 'Seven eight nine?', 'Ten.']);
  const long = 'word '.repeat(1000);
  assert.ok(splitMessage(long, 2000).every((chunk) => chunk.length <= 2000));
  assert.deepEqual(splitMessage('x'.repeat(25), 10), ['x'.repeat(10), 'x'.repeat(10), 'x'.repeat(5)]);
  assert.deepEqual(splitMessage('short', 2000), ['short']);
});

class RecordingSink implements MessageSink {
  readonly calls: { op: string; id: string; text: string; at: number }[] = [];
  async post(text: string) {
    const id = `m${this.calls.filter((c) => c.op === 'post').length + 1}`;
    this.calls.push({ op: 'post', id, text, at: Date.now() });
    return id;
  }
  async edit(id: string, text: string) {
    this.calls.push({ op: 'edit', id, text, at: Date.now() });
  }
}

test('posts the first text at once, edits no more often than the interval, continues long text in a new message', async () => {
  const sink = new RecordingSink();
  const renderer = new StreamRenderer(sink, { limit: 30, minIntervalMs: 50 });
  let text = '';
  for (let i = 0; i < 20; i += 1) {
    text += `S${i}. `;
    await renderer.update(text);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  const ids = await renderer.finish(text.trim());
  const edits = sink.calls.filter((c) => c.op === 'edit');
  assert.equal(sink.calls[0].op, 'post');
  assert.equal(sink.calls[0].text, 'S0.');
  assert.ok(edits.length < 10, `throttled: ${edits.length} edits for 20 updates`);
  const shown = new Map<string, string>();
  for (const call of sink.calls) shown.set(call.id, call.text);
  assert.deepEqual(ids, [...shown.keys()]);
  assert.equal([...shown.values()].join(' '), text.trim());
  assert.ok([...shown.values()].every((part) => part.length <= 30));
});
