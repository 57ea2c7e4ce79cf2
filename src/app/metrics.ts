/**
 * Prometheus metrics (prom-client, the only importer) for `GET /metrics` on the health port:
 * the training queue (depth, each job's wait), jobs by outcome, training throughput, replies
 * by adapter with their time to first content and to the final edit, model loads and errors
 * by code. Values come from the process's AppEvents and the core's hooks (model loads, queue
 * waits), so producers know nothing of Prometheus; each process reports what it saw, and
 * Prometheus sums across processes. Discord shard processes (DISCORD_SHARDS) have no port of
 * their own: they hand their metrics to the serve process (`metricsJson`), which adds them
 * into its own with prom-client's aggregator.
 */
import { AggregatorRegistry, Counter, Gauge, Histogram, Registry, collectDefaultMetrics, type MetricObjectWithValues, type MetricValue } from 'prom-client';
import type { AppEvents } from './process-events.js';

export type QueueDepth = () => Promise<Record<string, number>> | Record<string, number>;
/** Other processes' metrics as `metricsJson` gives them (the shards of this serve process). */
export type MetricsSource = () => Promise<unknown[][]>;

/** Reply latencies from a quarter second to two minutes (CPU generation of long replies). */
const LATENCY_BUCKETS = [0.25, 0.5, 1, 2, 4, 8, 15, 30, 60, 120];

export class Metrics {
  readonly registry = new Registry();
  private readonly sources: MetricsSource[] = [];
  private readonly jobs = new Counter({
    name: 'persona_training_jobs_total',
    help: 'Training jobs that ended, by outcome',
    labelNames: ['outcome'],
    registers: [this.registry],
  });
  private readonly tokensPerSecond = new Gauge({
    name: 'persona_training_tokens_per_second',
    help: 'Training throughput of the latest step, by persona',
    labelNames: ['persona'],
    registers: [this.registry],
  });
  private readonly replies = new Counter({
    name: 'persona_replies_total',
    help: 'Chat messages handled, by adapter and outcome',
    labelNames: ['adapter', 'outcome'],
    registers: [this.registry],
  });
  private readonly firstContent = new Histogram({
    name: 'persona_reply_first_content_seconds',
    help: 'From the message to the first text of the reply shown',
    labelNames: ['adapter'],
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  private readonly finalEdit = new Histogram({
    name: 'persona_reply_final_edit_seconds',
    help: 'From the message to the final text of the reply',
    labelNames: ['adapter'],
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  private readonly modelLoads = new Counter({ name: 'persona_model_loads_total', help: 'Model folders loaded for serving', registers: [this.registry] });
  private readonly modelLoadSeconds = new Histogram({
    name: 'persona_model_load_seconds',
    help: 'Time to load a model for serving',
    buckets: [0.1, 0.5, 1, 2, 5, 10, 30, 60],
    registers: [this.registry],
  });
  private readonly generationWait = new Histogram({
    name: 'persona_generation_queue_wait_seconds',
    help: 'From a reply sent to the generate queue to a generator worker taking it (bots processes without the generator role)',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });
  private readonly trainingWait = new Histogram({
    name: 'persona_training_queue_wait_seconds',
    help: 'From a training job queued to a trainer starting it (its first attempt), reported by the process that runs it',
    buckets: [0.1, 1, 5, 15, 60, 300, 900, 1800, 3600, 7200, 21600],
    registers: [this.registry],
  });
  private readonly errors = new Counter({
    name: 'persona_errors_total',
    help: 'Failures users saw, by error code',
    labelNames: ['code'],
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'persona_' });
  }

  /** Counts what the process's events report. */
  follow(events: AppEvents): void {
    events.on('job', (record) => {
      if (record.phase !== 'done') return;
      this.jobs.inc({ outcome: record.status });
      if (record.status === 'failed') this.errors.inc({ code: 'training_failed' });
    });
    events.on('training', ({ persona, event }) => {
      if (event.type === 'step') this.tokensPerSecond.set({ persona }, event.tokensPerSecond);
    });
    events.on('reply', (reply) => {
      this.replies.inc({ adapter: reply.platform, outcome: reply.outcome });
      if (reply.firstContentMs !== undefined) this.firstContent.observe({ adapter: reply.platform }, reply.firstContentMs / 1000);
      if (reply.finalMs !== undefined) this.finalEdit.observe({ adapter: reply.platform }, reply.finalMs / 1000);
      if (reply.code) this.errors.inc({ code: reply.code });
    });
  }

  /** Training queue depth by state, read when Prometheus scrapes. */
  watchQueue(depth: QueueDepth): void {
    this.queueGauge('persona_training_queue_jobs', 'Training jobs in the queue, by state', depth);
  }

  /** Generate queue depth by state (replies waiting for generator workers), read when Prometheus scrapes. */
  watchGenerationQueue(depth: QueueDepth): void {
    this.queueGauge('persona_generation_queue_jobs', 'Replies on the generate queue, by state', depth);
  }

  readonly generationWaited = (seconds: number): void => this.generationWait.observe(seconds);

  readonly trainingWaited = (seconds: number): void => this.trainingWait.observe(seconds);

  private queueGauge(name: string, help: string, depth: QueueDepth): void {
    new Gauge({
      name,
      help,
      labelNames: ['state'],
      registers: [this.registry],
      async collect() {
        for (const [state, count] of Object.entries(await depth())) this.set({ state }, count);
      },
    });
  }

  readonly modelLoaded = (seconds: number): void => {
    this.modelLoads.inc();
    this.modelLoadSeconds.observe(seconds);
  };

  /** Adds another process's metrics into this process's `/metrics`. */
  addSource(source: MetricsSource): void {
    this.sources.push(source);
  }

  /** This process's metrics as JSON, for a parent process to add up. */
  metricsJson(): Promise<unknown[]> {
    return this.registry.getMetricsAsJSON();
  }

  async render(): Promise<{ contentType: string; body: string }> {
    if (this.sources.length === 0) return { contentType: this.registry.contentType, body: await this.registry.metrics() };
    const others = (await Promise.all(this.sources.map((source) => source()))).flat() as MetricObjectWithValues<MetricValue<string>>[][];
    const all = AggregatorRegistry.aggregate([await this.registry.getMetricsAsJSON(), ...others]);
    return { contentType: this.registry.contentType, body: await all.metrics() };
  }
}
