/**
 * The Slack adapter: the curation bot (review queue + curator reactions), voice capture and
 * in-character chat through the shared middleware, `/persona` commands, and training
 * notices. `SlackAdapter` is its PlatformAdapter, which `persona serve` starts; this folder is
 * the only importer of @slack/bolt.
 */
import type { Config } from '../../config/config.js';
import { logger } from '../../log.js';
import type { JobRecord } from '../../scheduler/history.js';
import type { Store } from '../../store/index.js';
import type { ChatMiddleware, ChatServices } from '../middleware/index.js';
import { createSlackApp, type RetryConfig, type SlackMode } from './bolt-app.js';
import { registerCommands } from './slack-commands.js';
import { Curators } from './curators.js';
import { registerEvents } from './slack-events.js';
import { noticeFromJob, postTrainingNotice, type TrainingNotice } from './notifications.js';
import type { SlackServices } from './slack-ports.js';
import { ReviewDecisions } from './review-decisions.js';
import { LifecycleAdapter } from '../adapter-lifecycle.js';
import { ReviewPoster, type ReviewPosterOptions } from './review-poster.js';
import { StoreReview, storeOnceGuard } from './store-review.js';

export type { SlackServices, ReviewStore, ReviewCandidate, ReviewDecision, DecisionResult, DatasetCounts, OnceGuard } from './slack-ports.js';
export { renderTrainingNotice, noticeFromJob, type TrainingNotice } from './notifications.js';
export { StoreReview, storeOnceGuard } from './store-review.js';
export { followTrainingJobs, type TrainingEventSource } from './training-notices.js';

const log = logger('slack');

/** The Slack services of `persona serve`: the review channel and once-only guard over the store, the shared chat middleware. */
export function slackServices(store: Store, chat: ChatMiddleware, shared: Pick<ChatServices, 'personas' | 'training'>): SlackServices {
  return { personas: shared.personas, review: new StoreReview(store, shared.personas), once: storeOnceGuard(store), chat, training: shared.training };
}

export interface SlackAdapterOptions {
  retryConfig?: RetryConfig;
  queue?: Pick<ReviewPosterOptions, 'batchSize' | 'minIntervalMs' | 'pollMs'>;
}

/** The Slack bot as a PlatformAdapter; its extras post training notices and the review queue. */
export class SlackAdapter extends LifecycleAdapter<RunningSlack> {
  constructor(
    private readonly config: Config,
    private readonly services: SlackServices,
    private readonly options: SlackAdapterOptions = {},
  ) {
    super('slack', 'SLACK_BOT_TOKEN, SLACK_APP_TOKEN / SLACK_SIGNING_SECRET and SLACK_API_URL');
  }

  /** Socket Mode or HTTP mode (after `start`). */
  get mode(): SlackMode | undefined {
    return this.connection?.mode;
  }

  /** HTTP mode: the port requests are received on. */
  get port(): number | undefined {
    return this.connection?.port;
  }

  protected open(): Promise<RunningSlack> {
    return startSlack(this.config, this.services, this.options);
  }

  protected close(slack: RunningSlack): Promise<void> {
    return slack.stop();
  }

  protected report(slack: RunningSlack): { ok: boolean; detail: string } {
    return { ok: true, detail: `${slack.mode === 'socket' ? 'Socket Mode' : `HTTP mode on port ${slack.port}`}, bot ${slack.botUserId}` };
  }

  /** Posts a training start/end notice to SLACK_REVIEW_CHANNEL (no-op without one, or before `start`). */
  async notifyTraining(notice: TrainingNotice): Promise<void> {
    await this.connection?.notifyTraining(notice);
  }

  /**
   * Posts the notice a scheduler job record calls for (see noticeFromJob), once per job and
   * phase however often the record is reported. Never throws: a notice is not worth a failed job.
   */
  notifyJob = async (job: JobRecord): Promise<void> => {
    const notice = noticeFromJob(job);
    try {
      if (notice && (await this.services.once.claim(`slack:notice:${job.id}:${notice.phase}`, 7 * 24 * 3600 * 1000))) await this.notifyTraining(notice);
    } catch (error) {
      log.warn({ err: error, job: job.id }, 'could not post the training notice to Slack');
    }
  };

  /** Posts pending candidates now (the poster also polls); resolves with how many were posted. */
  postReviewQueue(): Promise<number> {
    return this.connection?.poster?.drain() ?? Promise.resolve(0);
  }

  /** Decision reactions ignored because their author is not a curator. */
  ignoredReactions(): number {
    return this.connection?.decisions.ignoredReactions ?? 0;
  }
}

interface RunningSlack {
  mode: SlackMode;
  port?: number;
  botUserId: string;
  poster?: ReviewPoster;
  decisions: ReviewDecisions;
  notifyTraining(notice: TrainingNotice): Promise<void>;
  stop(): Promise<void>;
}

async function startSlack(config: Config, services: SlackServices, options: SlackAdapterOptions): Promise<RunningSlack> {
  const slack = await createSlackApp(config, services.once, options.retryConfig);
  const { app, bot } = slack;
  const client = app.client;
  const curators = new Curators(config.SLACK_CURATORS, client, services.now);
  if (!curators.configured) log.warn('SLACK_CURATORS is empty: review reactions will be ignored until curators are configured');
  const personaNames = () => new Map(services.personas.list().map((persona) => [persona.id, persona.name]));
  const personaName = (id: string) => personaNames().get(id);
  const decisions = new ReviewDecisions(client, services.review, curators, personaName, services.now);
  const eventsSettled = registerEvents(app, {
    client,
    bot,
    once: services.once,
    review: services.review,
    decisions,
    chat: services.chat,
    personas: services.personas,
    personaName,
  });
  registerCommands(app, services, curators);
  app.error(async (error) => {
    log.error({ err: error }, 'Slack listener failed');
  });

  const reviewChannel = config.SLACK_REVIEW_CHANNEL;
  const poster = reviewChannel ? new ReviewPoster(client, services.review, { channel: reviewChannel, personaNames, ...options.queue }) : undefined;
  if (!poster) log.warn('SLACK_REVIEW_CHANNEL is not set: candidates are not posted for review in Slack');

  const port = await slack.start();
  poster?.start();
  log.info({ mode: slack.mode, port, bot: bot.userId }, 'Slack adapter started');

  return {
    mode: slack.mode,
    port,
    botUserId: bot.userId,
    poster,
    decisions,
    async notifyTraining(notice) {
      if (!reviewChannel) return;
      await postTrainingNotice(client, reviewChannel, { ...notice, personaName: notice.personaName ?? personaName(notice.personaId) });
    },
    async stop() {
      await poster?.stop();
      await slack.stop();
      await eventsSettled();
    },
  };
}
