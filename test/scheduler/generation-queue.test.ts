/**
 * Replies as jobs on the shared `generate` queue (real redis-server on 127.0.0.1): the local
 * engine's greedy reply, streamed, from a worker in this process; a clear error when no
 * worker runs; cancellation reaching the worker; a worker process SIGKILLed mid-reply whose
 * reply another worker finishes, and which fails clearly when no other worker is there.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { stringify } from 'yaml';
import { loadConfig } from '../../src/config/config.ts';
import { openCore } from '../../src/app/core.ts';
import { RemoteEngine } from '../../src/app/remote-engine.ts';
import { startGeneratorWorker } from '../../src/app/generator-worker.ts';
import { isPersonaError } from '../../src/errors.ts';
import { loadPersona } from '../../src/personas/load.ts';
import { GenerationClient, startGenerationWorker } from '../../src/scheduler/generation-queue.ts';
import { writeTinyModelFolder } from '../fixtures/tiny-model-folder.ts';
import { startRedis, type RedisServer } from '../store/redis-server.ts';

const LOCK_MS = 1000;

/** A worker process (generator-child.ts) and the lines it prints. */
function startChild(url: string, stepMs: number, lockMs = LOCK_MS) {
  const child: ChildProcess = spawn(
    process.execPath,
    ['--import', 'tsx', join(import.meta.dirname, 'generator-child.ts'), url, String(stepMs), String(lockMs)],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const lines: string[] = [];
  createInterface({ input: child.stdout! }).on('line', (line) => lines.push(line));
  const waitFor = async (test: (line: string) => boolean, what: string) => {
    const deadline = Date.now() + 20_000;
    while (!lines.some(test)) {
      if (Date.now() > deadline || child.exitCode !== null || child.signalCode !== null)
        throw new Error(`worker child: no ${what}; printed ${lines.join(' | ')}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };
  return {
    lines,
    waitFor,
    async kill() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGCONT');
      child.kill('SIGKILL');
      await once(child, 'exit');
    },
    /** SIGSTOP: frozen, it takes no job and checks nothing until `thaw`. */
    freeze: () => child.kill('SIGSTOP'),
    thaw: () => child.kill('SIGCONT'),
  };
}

const WORDS = 'one two three four five six seven eight'.split(' ');

describe('replies on the shared generate queue (redis-server)', { timeout: 60_000 }, () => {
  let server: RedisServer;
  let db = 0;
  const url = () => `${server.url}/${++db}`;
  before(async () => {
    server = await startRedis();
  });
  after(async () => {
    await server?.stop();
  });

  it("streams the local engine's greedy reply from a generator worker", async () => {
    const root = mkdtempSync(join(tmpdir(), 'generate-'));
    mkdirSync(join(root, 'personas'));
    const model = writeTinyModelFolder({ flavour: 'serving' });
    writeFileSync(join(root, 'personas', 'ada.yaml'), stringify({ id: 'ada', name: 'Ada', base: model.dir, sampling: { max_new_tokens: 12, temperature: 0 } }));
    const redis = url();
    const config = loadConfig({ root, env: { LOG_LEVEL: 'silent', ORT_THREADS: '1', STORE_URL: redis, GENERATION_JOB_LOCK_MS: String(LOCK_MS) } });
    const core = await openCore(config);
    const worker = startGeneratorWorker(core, redis);
    const remote = new RemoteEngine(redis, config);
    try {
      const persona = loadPersona(config.PERSONAS_DIR, 'ada');
      const turns = [{ speaker: 'vic', text: 'hello there, how are you?' }];
      const local = await core.engine.replyAs(persona, turns);
      let streamed = '';
      const reply = await remote.replyAs(persona, turns, { onDelta: (delta) => (streamed += delta.text) });
      assert.ok(local.text.length > 0, 'the tiny model says something');
      assert.equal(reply.text, local.text);
      assert.equal(streamed, local.text, 'the streamed deltas add up to the reply');
      assert.deepEqual(reply.tokens, local.tokens);
    } finally {
      await remote.close();
      await worker.close();
      await core.close();
    }
  });

  it('fails with generation_unavailable, naming the worker command, when no worker runs', async () => {
    const client = new GenerationClient<{ words: string[] }, { text: string }>({ url: url(), lockMs: LOCK_MS });
    try {
      // Bounded by the start bound it names (a hang would fail on the suite's timeout).
      await assert.rejects(client.run({ words: WORDS }, { startTimeoutMs: 800 }), (error) => {
        assert.ok(isPersonaError(error, 'generation_unavailable'), String(error));
        assert.match(error.message, /^No generator worker took this reply within 1 s: start `persona worker --role generator`/);
        return true;
      });
      assert.equal((await client.counts()).waiting, 0, 'the unanswered job was removed');
    } finally {
      await client.close();
    }
  });

  it('cancels a running reply on its worker', async () => {
    const redis = url();
    let stoppedEarly = false;
    const worker = startGenerationWorker<{ words: string[] }, { text: string }>(
      async ({ words }, { signal, onText }) => {
        let text = '';
        for (const word of words) {
          await new Promise((resolve) => setTimeout(resolve, 100));
          if (signal.aborted) {
            stoppedEarly = true;
            throw new Error('cancelled');
          }
          text = `${text} ${word}`.trim();
          onText(text);
        }
        return { text };
      },
      { url: redis, lockMs: LOCK_MS, concurrency: 1 },
    );
    const client = new GenerationClient<{ words: string[] }, { text: string }>({ url: redis, lockMs: LOCK_MS });
    try {
      const controller = new AbortController();
      await assert.rejects(client.run({ words: WORDS }, { startTimeoutMs: 5000, signal: controller.signal, onText: () => controller.abort() }), (error) =>
        isPersonaError(error, 'generation_aborted'),
      );
      const deadline = Date.now() + 5000;
      while (!stoppedEarly && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      assert.ok(stoppedEarly, 'the worker stopped generating');
    } finally {
      await client.close();
      await worker.close();
    }
  });

  it('finishes on another worker the reply of a worker killed mid-reply, showing each word once', async () => {
    const redis = url();
    // The retry must beat the asker's silence bound (2 locks) by more than a loaded machine's timer
    // drift: the lost job moves on after at most 1.5 locks, so a longer lock widens that margin.
    const lockMs = 2500;
    const first = startChild(redis, 150, lockMs);
    // Started now, frozen until the first dies: its start-up is not part of the race.
    const second = startChild(redis, 20, lockMs);
    const client = new GenerationClient<{ words: string[] }, { text: string }>({ url: redis, lockMs });
    try {
      await Promise.all([first.waitFor((line) => line === 'ready', 'start'), second.waitFor((line) => line === 'ready', 'start')]);
      second.freeze();
      const shown: string[] = [];
      // A frozen worker may hold the queue's wake-up call: the first then finds the job within BullMQ's 5 s drain delay.
      const reply = client.run({ words: WORDS }, { startTimeoutMs: 30_000, onText: (text) => shown.push(text) });
      await first.waitFor((line) => line === 'text one two', 'streamed text');
      await first.kill();
      second.thaw();
      assert.deepEqual(await reply, { text: WORDS.join(' ') });
      assert.ok(
        second.lines.some((line) => line.startsWith('text one')),
        'the second worker generated it',
      );
      for (const [i, text] of shown.entries())
        if (i > 0) assert.ok(text.startsWith(shown[i - 1]) && text !== shown[i - 1], `shown text only grows: ${shown.join(' | ')}`);
    } finally {
      await first.kill();
      await second.kill();
      await client.close();
    }
  });

  it('fails clearly, without hanging, when the only worker dies mid-reply', async () => {
    const redis = url();
    const only = startChild(redis, 150);
    const client = new GenerationClient<{ words: string[] }, { text: string }>({ url: redis, lockMs: LOCK_MS });
    try {
      await only.waitFor((line) => line === 'ready', 'start');
      const reply = client.run({ words: WORDS }, { startTimeoutMs: 10_000 });
      await only.waitFor((line) => line === 'text one', 'streamed text');
      await only.kill();
      await assert.rejects(reply, (error) => {
        assert.ok(isPersonaError(error, 'generation_unavailable'), String(error));
        // Bounded by the silence it names, two lock periods (a hang would fail on the suite's timeout).
        assert.match(error.message, /stopped answering in the middle of this reply \(nothing for 2 s\)/);
        return true;
      });
    } finally {
      await only.kill();
      await client.close();
    }
  });
});
