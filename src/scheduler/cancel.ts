/**
 * Cancelling a training run from anywhere: the studio, `persona jobs cancel`, Slack or
 * Discord, in this process or another one sharing the store. The request is a flag in the
 * store per persona; the job (job.ts) takes it before it starts (a queued run ends without
 * training) and polls it while training, aborting the trainer the way Ctrl-C does: the
 * current step finishes, a checkpoint is written, no version is created, and the next run
 * resumes from the checkpoint. Once training is over (evaluation, promotion) a run finishes
 * normally; the job clears any late flag when it ends so it never cancels a later run.
 */
import type { Store } from '../store/index.js';
import { jobHistory, type JobPhase, type JobRecord } from './history.js';

export interface CancelRequest {
  by: string;
  requestedAt: string;
}

const cancelKey = (persona: string) => `training-cancel:${persona}`;
/** A request nobody took in a day is stale (a crashed process): it never cancels a new run. */
const STALE_MS = 86_400_000;
const POLL_MS = 500;

export async function requestTrainingCancel(store: Store, persona: string, by: string): Promise<CancelRequest> {
  const request = { by, requestedAt: new Date().toISOString() };
  await store.set(cancelKey(persona), request, STALE_MS);
  return request;
}

/** The pending request for this persona, removed from the store (each request cancels once). */
export async function takeCancelRequest(store: Store, persona: string): Promise<CancelRequest | undefined> {
  const request = await store.get<CancelRequest>(cancelKey(persona));
  if (request) await store.delete(cancelKey(persona));
  return request;
}

export function cancelMessage(request: CancelRequest, step?: number): string {
  const where = step === undefined ? 'before training started' : `at step ${step}; the checkpoint is kept and the next run resumes from it`;
  return `cancelled by ${request.by} ${where}`;
}

/**
 * Aborts `signal` when a cancel request appears (checked every 500 ms) or when `parent`
 * aborts. `request` is the request that fired, if one did; call `stop` when training ends.
 */
export function watchCancel(store: Store, persona: string, parent?: AbortSignal): { signal: AbortSignal; request(): CancelRequest | undefined; stop(): void } {
  const controller = new AbortController();
  let fired: CancelRequest | undefined;
  const onParent = () => controller.abort(parent?.reason);
  if (parent?.aborted) onParent();
  parent?.addEventListener('abort', onParent, { once: true });
  let checking = false;
  const timer = setInterval(() => {
    if (checking || controller.signal.aborted) return;
    checking = true;
    takeCancelRequest(store, persona)
      .then((request) => {
        if (!request) return;
        fired = request;
        controller.abort(new Error(cancelMessage(request)));
      })
      .catch(() => undefined)
      .finally(() => (checking = false));
  }, POLL_MS);
  timer.unref();
  return {
    signal: controller.signal,
    request: () => fired,
    stop: () => {
      clearInterval(timer);
      parent?.removeEventListener('abort', onParent);
    },
  };
}

export type CancelOutcome = { requested: true; job?: JobRecord } | { requested: false; reason: string };

/** Phases in which a cancel still stops the run before any version exists. */
const CANCELLABLE: ReadonlySet<JobPhase> = new Set(['queued', 'dataset', 'train']);

/**
 * Asks the persona's running training (any process) to stop; `queued` when the caller knows
 * a run is waiting in a queue (it then ends without training). Refuses when nothing would
 * take the request, so that a request never lingers to cancel a later run.
 */
export async function cancelTraining(store: Store, persona: string, by: string, queued = false): Promise<CancelOutcome> {
  const running = (await jobHistory(store).list(persona, 5)).find((job) => job.status === 'running');
  if (running && !CANCELLABLE.has(running.phase)) {
    return {
      requested: false,
      reason: `job ${running.id} of ${persona} has finished training and is in its ${running.phase} phase; it ends on its own in a moment`,
    };
  }
  if (!running && !queued) return { requested: false, reason: `no training of ${persona} is running or queued` };
  await requestTrainingCancel(store, persona, by);
  return { requested: true, job: running };
}
