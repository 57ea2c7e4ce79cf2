/**
 * The generator role (`persona worker --role generator`, or PERSONA_ROLES including
 * generator): takes replies that bots processes put on the shared `generate` queue and runs
 * them on this process's inference engine, whose current model per persona is the registry's
 * champion read at each reply, so a promotion anywhere reaches the next reply here (and
 * src/app/training-runner.ts preloads a champion promoted by a trainer).
 */
import type { Reply } from '../inference/engine.js';
import { sharedQueueUrl } from '../scheduler/bullmq-queue.js';
import { generationQueueDepth, startGenerationWorker, type GenerationQueueDepth, type GenerationWorker } from '../scheduler/generation-queue.js';
import type { Config } from '../config/config.js';
import type { Core } from './core.js';
import { generatesRemotely, type RemoteReplyRequest } from './remote-engine.js';
import type { Role } from './roles.js';

export function startGeneratorWorker(core: Core, url: string): GenerationWorker {
  const { config, engine } = core;
  return startGenerationWorker<RemoteReplyRequest, Reply>(
    (request, { seed, signal, onText }) => {
      let soFar = '';
      return engine.replyAs(request.persona, request.turns, {
        model: request.model,
        overrides: { ...request.overrides, seed },
        signal,
        onDelta: (delta) => {
          if (!delta.text) return;
          soFar += delta.text;
          onText(soFar);
        },
      });
    },
    { url, lockMs: config.GENERATION_JOB_LOCK_MS, concurrency: config.GENERATION_WORKER_CONCURRENCY },
  );
}

/** The generate queue's depth, for the metrics of a process that uses the queue: a generator worker, or bots sending it replies. */
export function generationDepthFor(config: Config, roles: ReadonlySet<Role>): GenerationQueueDepth | undefined {
  const url = roles.has('generator') ? sharedQueueUrl(config.storeUrl) : generatesRemotely(config, roles);
  return url ? generationQueueDepth(url) : undefined;
}

/** The generator role of `persona serve`: a worker when this process has the role and a Redis store (else replies stay local). */
export function startGeneration(core: Core, roles: ReadonlySet<Role>): GenerationWorker | undefined {
  const url = sharedQueueUrl(core.config.storeUrl);
  return roles.has('generator') && url ? startGeneratorWorker(core, url) : undefined;
}
