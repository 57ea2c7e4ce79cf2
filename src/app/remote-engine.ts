/**
 * Replies generated on generator workers (scale-out): a bots process without the generator
 * role, with a Redis store, gives its chat services a `RemoteEngine` in place of the local
 * inference engine. Each reply becomes a job on the shared `generate` queue
 * (src/scheduler/generation-queue.ts) carrying the persona, the conversation turns, any
 * sampling overrides and a seed; a generator worker (src/app/generator-worker.ts) runs the
 * real engine and streams the text back, which arrives here as the same `onDelta` stream the
 * local engine gives, so Discord's and Slack's streaming edits work unchanged.
 */
import type { Config } from '../config/config.js';
import type { Turn } from '../inference/prompt-context.js';
import type { InferenceEngine, Reply, ReplyOptions } from '../inference/engine.js';
import type { GenerationParams } from '../inference/generation-params.js';
import type { Persona } from '../personas/schema.js';
import { sharedQueueUrl } from '../scheduler/bullmq-queue.js';
import { GenerationClient } from '../scheduler/generation-queue.js';
import type { Role } from './roles.js';

/** One reply asked of a generator worker: everything `engine.replyAs` takes, as JSON. */
export interface RemoteReplyRequest {
  persona: Persona;
  turns: Turn[];
  overrides?: Partial<GenerationParams>;
  model?: string;
}

export type ChatEngine = Pick<InferenceEngine, 'replyAs'>;

export class RemoteEngine implements ChatEngine {
  private readonly client: GenerationClient<RemoteReplyRequest, Reply>;

  constructor(
    url: string,
    private readonly config: Pick<Config, 'GENERATION_JOB_LOCK_MS' | 'GENERATION_MAX_WAIT_MS'>,
    /** Seconds each reply waited in the queue for a worker (metrics). */
    private readonly onQueueWait?: (seconds: number) => void,
  ) {
    this.client = new GenerationClient({ url, lockMs: config.GENERATION_JOB_LOCK_MS });
  }

  async replyAs(persona: Persona, turns: Turn[], options: ReplyOptions = {}): Promise<Reply> {
    let shown = '';
    return this.client.run(
      { persona, turns, overrides: options.overrides, model: options.model },
      {
        signal: options.signal,
        seed: options.overrides?.seed,
        // The same wait bound as a local model's queue: a reply nobody takes fails in the same time.
        startTimeoutMs: this.config.GENERATION_MAX_WAIT_MS,
        onTaken: (waitedMs) => this.onQueueWait?.(waitedMs / 1000),
        onText: (textSoFar) => {
          const text = textSoFar.slice(shown.length);
          shown = textSoFar;
          options.onDelta?.({ tokens: [], text });
        },
      },
    );
  }

  close(): Promise<void> {
    return this.client.close();
  }
}

/** Whether this process's chat replies go to generator workers: bots without generator, over Redis. */
export function generatesRemotely(config: Config, roles: ReadonlySet<Role>): string | undefined {
  if (!roles.has('bots') || roles.has('generator')) return undefined;
  return sharedQueueUrl(config.storeUrl);
}
