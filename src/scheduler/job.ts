/**
 * One training job, scheduled or manual, start to finish:
 *   lock → dataset snapshot → skip if too little is new → train → register the candidate →
 *   evaluate candidate and incumbent (champion, or the base the first time) on the same
 *   held-out samples → gate → promote or keep → prune → record and notify.
 * Every phase is written to the job record before it starts, so a killed process leaves a
 * record that says where it died; `recoverJobs` marks those as interrupted on the next start.
 */
import type { Config } from '../config/config.js';
import { isPersonaError, PersonaError } from '../errors.js';
import { logger } from '../log.js';
import { loadDatasetSnapshot } from '../datasets/snapshot.js';
import { decidePromotion, type Evaluation, type GateDecision } from '../evaluation/gate.js';
import { evaluateLoss, summarize } from '../evaluation/loss.js';
import { evaluateStyle } from '../evaluation/sample-replies.js';
import type { InferenceEngine } from '../inference/engine.js';
import { baseModelChoice } from '../inference/model-location.js';
import { loadPersona } from '../personas/load.js';
import type { Persona } from '../personas/schema.js';
import type { ModelRegistry } from '../registry/registry.js';
import type { Store } from '../store/index.js';
import { trainPersona, type TrainReport } from '../training/trainer/train-persona.js';
import type { TrainingOverrides } from '../training/trainer/settings.js';
import type { TrainingEvent } from '../training/trainer/loop.js';
import { acquireLock, lockHolder, trainingLockKey } from './training-lock.js';
import { jobHistory, type JobPhase, type JobRecord } from './history.js';
import { cancelMessage, takeCancelRequest, watchCancel } from './cancel.js';
import { systemPromptOf } from '../personas/greeting.js';

export interface JobDeps {
  config: Config;
  store: Store;
  registry: ModelRegistry;
  /** For style metrics of sampled replies; without it the gate uses validation loss only. */
  engine?: InferenceEngine;
  /** Told when a job starts and ends (Slack notifications, studio progress). */
  onJob?: (record: JobRecord) => void | Promise<void>;
  onTrainingEvent?: (persona: string, event: TrainingEvent) => void;
  /** Aborts running trainings (server shutdown): they checkpoint and resume next time. */
  signal?: AbortSignal;
  /** Told before each phase starts (progress displays; tests use it to crash at a phase). */
  onPhase?: (persona: string, phase: JobPhase) => void;
  /** Seconds a queued job waited before this process started it (metrics); told by the queue that runs it. */
  onQueueWait?: (seconds: number) => void;
}

export interface JobOptions {
  reason: JobRecord['reason'];
  /** Train even when fewer than `training.min_new_samples` approved samples are new. */
  force?: boolean;
  /** Register the new version but never promote it. */
  noPromote?: boolean;
  overrides?: TrainingOverrides;
  signal?: AbortSignal;
  /** When another process holds the persona's training lock: record a skip (scheduled runs) or throw training_locked (a person asked). */
  whenLocked?: 'skip' | 'error';
  /** A queued job's identity: all its attempts write one history record. */
  attemptOf?: { createdAt: number; queueId: string };
  /** When the run was queued (epoch ms), recorded in its history; absent when it runs at once (`persona train`). */
  queuedAt?: number;
}

/** How many versions besides the champion the registry keeps per persona. */
export const KEEP_VERSIONS = 5;

export async function runTrainingJob(deps: JobDeps, personaId: string, options: JobOptions): Promise<JobRecord> {
  const persona = loadPersona(deps.config.PERSONAS_DIR, personaId);
  const history = jobHistory(deps.store);
  const lockKey = trainingLockKey(persona.id);
  const lock = await acquireLock(deps.store, lockKey);
  if (!lock) {
    const holder = await lockHolder(deps.store, lockKey);
    const who = holder ? ` (pid ${holder.pid} on ${holder.host} since ${holder.since})` : '';
    // The caller retries or tells a person (a queue redelivery after a Redis restart lands
    // here while the first delivery trains): no history record, or the persona's history
    // fills with skips that never were runs.
    if (options.whenLocked === 'error') {
      throw new PersonaError('training_locked', `Persona "${persona.id}" is being trained by another process${who}; try again when it has finished.`, {
        persona: persona.id,
      });
    }
    return await finish(deps, await history.start(persona.id, options.reason, options), 'skipped', `another process is training this persona${who}`);
  }
  const record = await history.start(persona.id, options.reason, options);
  const log = logger('job').child({ persona: persona.id, job: record.id });
  const phase = async (name: JobPhase) => {
    await history.update(record, { phase: name });
    deps.onPhase?.(persona.id, name);
  };
  let cancel: ReturnType<typeof watchCancel> | undefined;
  try {
    await notify(deps, record);
    const cancelledWhileQueued = await takeCancelRequest(deps.store, persona.id);
    if (cancelledWhileQueued) return await finish(deps, record, 'skipped', cancelMessage(cancelledWhileQueued));
    await phase('dataset');
    const dataset = await loadDatasetSnapshot(deps.store, persona);
    const approved = dataset.approvedSamples ?? dataset.train.length + dataset.validation.length;
    const champion = await deps.registry.champion(persona.id);
    const newSamples = approved - (champion?.metrics.approved_samples ?? 0);
    await history.update(record, { datasetVersion: dataset.version, metrics: { approved_samples: approved, new_samples: newSamples } });
    if (!options.force && newSamples < persona.training.min_new_samples) {
      return await finish(deps, record, 'skipped', `only ${newSamples} new approved samples since the champion (needs ${persona.training.min_new_samples})`);
    }
    if (champion?.datasetVersion === dataset.version && !options.force) {
      return await finish(deps, record, 'skipped', `the champion was already trained on dataset ${dataset.version}`);
    }

    await phase('train');
    // A cancel request from any process aborts training as Ctrl-C does (checkpoint, no version).
    cancel = watchCancel(deps.store, persona.id, options.signal ?? deps.signal);
    const report = await trainPersona({
      config: deps.config,
      persona,
      dataset,
      overrides: options.overrides,
      signal: cancel.signal,
      onEvent: (event) => deps.onTrainingEvent?.(persona.id, event),
    });
    cancel.stop();
    await history.update(record, { version: report.version });
    await deps.registry.register({
      persona: persona.id,
      version: report.version,
      dir: report.dir,
      createdAt: report.finishedAt,
      datasetVersion: report.datasetVersion,
      base: report.base,
      method: report.method,
      hyperparameters: { ...report.hyperparameters, lora: report.lora },
      metrics: { approved_samples: approved, train_steps: report.metrics.steps, tokens_per_second: report.metrics.tokensPerSecond },
    });

    await phase('evaluate');
    // Only held-out text (the validation split) ever decides: too little of it and the gate says so.
    const heldOut = dataset.validation;
    const incumbentChoice = champion ? { version: champion.version, dir: champion.dir } : baseModelChoice(deps.config, persona);
    const candidate = await evaluate(deps, persona, heldOut, report.version, report.dir);
    const incumbent = await evaluate(deps, persona, heldOut, incumbentChoice.version, incumbentChoice.dir);
    const incumbentName = champion ? `champion ${champion.version}` : 'the base model';
    const decision = decidePromotion(candidate, incumbent, incumbentName, {
      minImprovement: persona.training.min_improvement,
      minValidationTokens: persona.training.min_validation_tokens,
      seed: persona.training.seed,
    });
    const metrics = evaluationMetrics(candidate, incumbent, decision);
    await history.update(record, { metrics: { ...record.metrics, ...metrics } });
    await deps.registry.addMetrics(persona.id, report.version, metrics);

    await phase('promote');
    if (decision.promote && !options.noPromote) {
      await deps.registry.promote(persona.id, report.version, decision.reason);
      await deps.registry.prune(persona.id, KEEP_VERSIONS);
      return await finish(deps, record, 'promoted', decision.reason, report);
    }
    const why = decision.promote ? `${decision.reason}, but promotion was turned off for this run` : decision.reason;
    await deps.registry.reject(persona.id, report.version, why);
    await deps.registry.prune(persona.id, KEEP_VERSIONS);
    return await finish(deps, record, 'kept', why, report);
  } catch (error) {
    const cancelled = cancel?.request();
    if (cancelled && isPersonaError(error, 'training_interrupted'))
      return await finish(deps, record, 'interrupted', cancelMessage(cancelled, error.details?.step as number | undefined));
    const status = isPersonaError(error, 'training_interrupted') ? 'interrupted' : 'failed';
    log.error({ err: error instanceof Error ? error.message : String(error), code: isPersonaError(error) ? error.code : undefined }, 'training job failed');
    await finish(deps, record, status, error instanceof Error ? error.message : String(error));
    throw error;
  } finally {
    cancel?.stop();
    // A request that arrived after training ended must not cancel the next run.
    await takeCancelRequest(deps.store, persona.id).catch(() => undefined);
    await lock.release();
  }
}

async function evaluate(
  deps: JobDeps,
  persona: Persona,
  samples: Parameters<typeof evaluateLoss>[0]['samples'],
  version: string,
  dir: string,
): Promise<Evaluation> {
  if (samples.length === 0) return { loss: summarize([], 0) };
  const loss = await evaluateLoss({
    modelDir: dir,
    samples,
    systemPrompt: systemPromptOf(persona),
    personaName: persona.name,
    seqLen: persona.training.seq_len,
    threads: deps.config.ORT_THREADS || undefined,
  });
  const style =
    deps.engine && loss.tokens >= persona.training.min_validation_tokens ? await evaluateStyle(deps.engine, persona, samples, { model: version }) : undefined;
  return { loss, style };
}

/** Losses are over the persona's held-out words only; absent when nothing was held out. */
function evaluationMetrics(candidate: Evaluation, incumbent: Evaluation, decision: GateDecision): Record<string, number> {
  const out: Record<string, number> = { validation_tokens: decision.heldOutTokens };
  if (candidate.loss.tokens > 0) {
    out.validation_loss_before = incumbent.loss.loss;
    out.validation_loss_after = candidate.loss.loss;
    out.validation_perplexity_after = candidate.loss.perplexity;
  }
  if (decision.band)
    Object.assign(out, { validation_gain: decision.band.gain, validation_gain_low: decision.band.low, validation_gain_high: decision.band.high });
  for (const [key, value] of Object.entries(candidate.style ?? {})) out[`style_${key}_after`] = value;
  for (const [key, value] of Object.entries(incumbent.style ?? {})) out[`style_${key}_before`] = value;
  return out;
}

async function finish(deps: JobDeps, record: JobRecord, status: JobRecord['status'], message: string, report?: TrainReport): Promise<JobRecord> {
  const done = await jobHistory(deps.store).finish(record, status, message, report);
  await notify(deps, done);
  return done;
}

async function notify(deps: JobDeps, record: JobRecord): Promise<void> {
  try {
    await deps.onJob?.(record);
  } catch (error) {
    logger('job').warn({ err: (error as Error).message, job: record.id }, 'job notification failed');
  }
}
