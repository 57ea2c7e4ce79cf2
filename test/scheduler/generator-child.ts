/**
 * Child process for the generation-queue tests: a generator worker on the Redis at argv[2]
 * (job lock argv[4] ms) whose "engine" writes the words of the request one by one every
 * argv[3] ms (honouring the cancel signal), printing `text <so far>` as it streams so the
 * parent can kill it mid-reply.
 */
import { startGenerationWorker } from '../../src/scheduler/generation-queue.ts';

const [url, stepMs, lockMs] = process.argv.slice(2);
startGenerationWorker<{ words: string[] }, { text: string }>(
  async ({ words }, { signal, onText }) => {
    let text = '';
    for (const word of words) {
      await new Promise((resolve) => setTimeout(resolve, Number(stepMs)));
      if (signal.aborted) throw new Error('aborted');
      text = text ? `${text} ${word}` : word;
      onText(text);
      console.log(`text ${text}`);
    }
    return { text };
  },
  { url, lockMs: Number(lockMs), concurrency: 2 },
);
console.log('ready');
