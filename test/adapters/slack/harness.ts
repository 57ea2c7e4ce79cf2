/**
 * One running Slack adapter against the fake Slack, in Socket Mode or HTTP mode, with a
 * persona whose Slack voice is UVOICE, one curator (UCURATOR), one other person (UOTHER),
 * a review channel, a chat channel and a DM. `deliver` sends an event the way the mode
 * does (a Socket Mode envelope, or a signed POST); `waitFor` polls for an outcome.
 */
import './quiet-logs.ts';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../../src/config/config.ts';
import { ChatMiddleware, type ReplyEngine, type TrainingControl } from '../../../src/adapters/middleware/index.ts';
import { CurationCandidates, PersonaFiles, StoreState } from '../../../src/app/chat-services.ts';
import { SlackAdapter, StoreReview, storeOnceGuard } from '../../../src/adapters/slack/index.ts';
import { addDrafts, getSample, listSamples, type SampleRecord } from '../../../src/curation/index.ts';
import { datasetStats, type DatasetStats } from '../../../src/datasets/index.ts';
import { openStore } from '../../../src/store/index.ts';
import type { Store } from '../../../src/store/index.ts';
import { FakeSlack } from '../../fakes/slack/fake-slack.ts';
import { send, signedCommand, signedEvent, type SignedPostOptions } from '../../fakes/slack/signed-requests.ts';
import type { SlackEvent } from '../../fakes/slack/workspace.ts';

export const SECRET = 'test-signing-secret';
export const REVIEW = 'CREVIEW';
export const GENERAL = 'CGENERAL';
export const DM = 'DVOICE';
export const CURATOR = 'UCURATOR';
export const OTHER = 'UOTHER';
export const VOICE = 'UVOICE';
export const REPLY_TEXT = 'My friends, the only thing we have to fear is fear itself.';

export interface Harness {
  fake: FakeSlack;
  review: StoreReview;
  store: Store;
  /** The stored curation sample, as `persona dataset stats` and training see it. */
  sample(id: string): Promise<SampleRecord | undefined>;
  /** What `persona dataset stats fdr` prints. */
  datasetStats(): Promise<DatasetStats>;
  /** Pending samples of the persona, oldest first. */
  pending(): Promise<SampleRecord[]>;
  /** Adds a pending candidate (as untrusted ingest would) and returns its id. */
  addCandidate(text: string, context?: { speaker: string; text: string }[], persona?: string): Promise<string>;
  /** The folder of persona files (re-read on every lookup). */
  personasDir: string;
  adapter: SlackAdapter;
  mode: 'socket' | 'http';
  trainingRequests: string[];
  /** Delivers an event; resolves when Slack would consider it delivered (acked). */
  deliver(event: SlackEvent, options?: { eventId?: string; retryNum?: number }): Promise<{ status: number }>;
  /** Runs `/persona <text>` as `user`; resolves with the ephemeral answer. */
  command(text: string, user: string): Promise<{ text: string; responseType?: string }>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  mode: 'socket' | 'http';
  curators?: string;
  withTraining?: boolean;
  /** The training service behind `/persona train` (default: one that records requests in `trainingRequests`). */
  training?: TrainingControl;
}

const PERSONA_YAML = `id: fdr
name: Franklin D. Roosevelt
voices:
  slack_ids: [${VOICE}]
channels:
  slack: []
`;

export async function startHarness(options: HarnessOptions): Promise<Harness> {
  const root = mkdtempSync(join(tmpdir(), 'slack-adapter-'));
  mkdirSync(join(root, 'personas'));
  writeFileSync(join(root, 'personas', 'fdr.yaml'), PERSONA_YAML);
  const fake = await new FakeSlack().start();
  const { workspace } = fake;
  workspace.addChannel(REVIEW, 'persona-review');
  workspace.addChannel(GENERAL, 'general');
  workspace.addChannel(DM, 'dm-voice', true);
  workspace.addUser(CURATOR, 'Curator Carla');
  workspace.addUser(OTHER, 'Otto Other');
  workspace.addUser(VOICE, 'Franklin');

  const env: Record<string, string> = {
    SLACK_BOT_TOKEN: 'xoxb-test',
    SLACK_API_URL: fake.apiUrl,
    SLACK_REVIEW_CHANNEL: '#persona-review',
    SLACK_CURATORS: options.curators ?? CURATOR,
    LOG_LEVEL: 'silent',
  };
  if (options.mode === 'socket') env.SLACK_APP_TOKEN = 'xapp-test';
  else Object.assign(env, { SLACK_SIGNING_SECRET: SECRET, SLACK_PORT: '0' });
  const config = loadConfig({ root, env });

  const store = await openStore('sqlite::memory:');
  const once = storeOnceGuard(store);
  const personas = new PersonaFiles(join(root, 'personas'), 0);
  const review = new StoreReview(store, personas);
  const engine: ReplyEngine = { reply: async (_persona, _turns, { onText }) => (onText?.(REPLY_TEXT), { text: REPLY_TEXT }) };
  const trainingRequests: string[] = [];
  const training: TrainingControl = {
    status: async () => [{ personaId: 'fdr', summary: 'champion v3, trained 2 days ago' }],
    trainNow: async (id) => {
      trainingRequests.push(id);
      return `Training of ${id} queued.`;
    },
    cancel: async (id, by) => {
      trainingRequests.push(`cancel ${id} by ${by}`);
      return `Cancelling training of ${id}.`;
    },
  };
  const chat = new ChatMiddleware({ personas, engine, state: new StoreState(store), candidates: new CurationCandidates(store) });
  const adapter = new SlackAdapter(
    config,
    { personas, review, once, chat, training: options.withTraining === false ? undefined : (options.training ?? training) },
    { retryConfig: { retries: 2, minTimeout: 10, maxTimeout: 50 }, queue: { minIntervalMs: 20, pollMs: 60_000 } },
  );
  await adapter.start();
  if (options.mode === 'socket') await fake.waitForSocket();
  const url = `http://127.0.0.1:${adapter.port}/slack/events`;
  let candidateSeq = 0;

  return {
    fake,
    review,
    store,
    sample: (id) => getSample(store, id),
    pending: () => listSamples(store, 'fdr', 'pending'),
    datasetStats: () => datasetStats(store, personas.get('fdr')),
    personasDir: join(root, 'personas'),
    addCandidate: async (text, context = [{ speaker: 'Reporter', text: 'Mr President, what now?' }], persona = 'fdr') => {
      candidateSeq += 1;
      const id = `file-${persona}-${candidateSeq}`;
      await addDrafts(store, [
        {
          id,
          persona,
          kind: 'conversation',
          context,
          text,
          speaker: 'Franklin D. Roosevelt',
          source: { type: 'file', ref: 'transcripts/fdr.txt', position: String(candidateSeq) },
          dedupeKey: `${candidateSeq}:${text}`,
          redactions: {},
        },
      ]);
      return id;
    },
    adapter,
    mode: options.mode,
    trainingRequests,
    deliver: async (event, { eventId, retryNum } = {}) => {
      const callback = fake.eventCallback(event, eventId);
      if (options.mode === 'socket') {
        await fake.sendEnvelope('events_api', callback, retryNum);
        return { status: 200 };
      }
      // Slack signs each redelivery anew, at a later time: a different timestamp, so a different signature.
      const timestamp = Math.floor(Date.now() / 1000) + (retryNum ?? 0);
      return send(url, signedEvent(callback, { secret: SECRET, retryNum, timestamp }));
    },
    command: async (text, user) => {
      const fields = commandFields(text, user);
      if (options.mode === 'socket') {
        const ack = await fake.sendEnvelope('slash_commands', fields);
        return { text: String(ack.text ?? ''), responseType: ack.response_type as string | undefined };
      }
      const answer = await send(url, signedCommand(fields, { secret: SECRET }));
      const body = answer.text ? (JSON.parse(answer.text) as { text?: string; response_type?: string }) : {};
      return { text: body.text ?? '', responseType: body.response_type };
    },
    close: async () => {
      await adapter.stop();
      chat.close();
      await fake.stop();
      await store.close();
      rmSync(root, { recursive: true, force: true });
    },
  };
}

export function commandFields(text: string, user: string): Record<string, string> {
  return {
    token: 'verification-token',
    team_id: 'T0FAKE',
    channel_id: GENERAL,
    user_id: user,
    user_name: user.toLowerCase(),
    command: '/persona',
    text,
    api_app_id: 'AFAKE',
    response_url: 'http://127.0.0.1:9/unused',
    trigger_id: 'trigger',
  };
}

export function signedOptions(overrides: Partial<SignedPostOptions> = {}): SignedPostOptions {
  return { secret: SECRET, ...overrides };
}

/** Polls `check` until it returns a truthy value (bounded: `timeoutMs`). */
export async function waitFor<T>(check: () => T | Promise<T>, what: string, timeoutMs = 5000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Adds a pending candidate and posts the review queue; returns the candidate id and its review message ts. */
export async function postCandidate(harness: Harness, text = 'We shall overcome this, together.'): Promise<{ id: string; ts: string }> {
  const id = await harness.addCandidate(text);
  await harness.adapter.postReviewQueue();
  const posted = harness.fake.workspace.messagesIn(REVIEW).find((message) => JSON.stringify(message.blocks ?? []).includes(`\`${id}\``));
  if (!posted) throw new Error('candidate was not posted');
  return { id, ts: posted.ts };
}

let markers = 0;
/**
 * The positive signal a "nothing changed" check waits for instead of a fixed sleep: a later
 * review decision (approving a fresh candidate) has been applied, so every event delivered
 * before it has been handled (events on one connection are handled in order).
 */
export async function laterDecisionApplied(harness: Harness): Promise<void> {
  markers += 1;
  const marker = await postCandidate(harness, `A later candidate, number ${markers}.`);
  await harness.deliver(harness.fake.workspace.react(CURATOR, REVIEW, marker.ts, 'white_check_mark'));
  await waitFor(async () => (await harness.sample(marker.id))?.state === 'approved', 'the later decision applied');
}
