/**
 * The lifecycle behind every PlatformAdapter: not started → starting → running → stopped, or
 * a start failure kept as its sentence. Written once so that Discord, Slack and the studio
 * start, stop and report alike: an adapter says only how to open its connection (`open`),
 * close it (`close`) and describe it while it runs (`report`); a failed or never-started
 * adapter's `stop` does nothing, and its `health` says why it is not running.
 */
import { isPersonaError, PersonaError } from '../errors.js';
import type { AdapterHealth, PlatformAdapter } from './types.js';

type Phase = 'not started' | 'starting' | 'running' | 'stopping' | 'stopped';

export abstract class LifecycleAdapter<Connection> implements PlatformAdapter {
  private phase: Phase = 'not started';
  private failure: string | undefined;
  private starting: Promise<void> | undefined;
  /** What `open` returned, while the adapter runs. */
  protected connection: Connection | undefined;

  /**
   * @param name the adapter's name in health reports
   * @param settings the configuration a failed start names (e.g. "DISCORD_TOKEN and DISCORD_API_URL")
   */
  constructor(
    readonly name: string,
    private readonly settings: string,
  ) {}

  /** Connects or listens; rejects when the adapter cannot run. */
  protected abstract open(): Promise<Connection>;
  /** Lets in-flight work finish, then disconnects. */
  protected abstract close(connection: Connection): Promise<void>;
  /** How the running adapter is doing, in one sentence. */
  protected abstract report(connection: Connection): { ok: boolean; detail: string };

  /**
   * A failure that is not already a PersonaError becomes one naming the settings to check;
   * either way its sentence is kept for `health()` and the start rejects with it.
   */
  start(): Promise<void> {
    if (this.phase === 'starting' || this.phase === 'running') return this.starting ?? Promise.resolve();
    this.starting = this.run();
    return this.starting;
  }

  private async run(): Promise<void> {
    this.phase = 'starting';
    this.failure = undefined;
    try {
      this.connection = await this.open();
      this.phase = 'running';
    } catch (error) {
      const failure = isPersonaError(error)
        ? error
        : new PersonaError(
            'config_invalid',
            `${this.name[0].toUpperCase()}${this.name.slice(1)} did not start: ${(error as Error).message} (check ${this.settings}).`,
            { adapter: this.name },
            { cause: error },
          );
      this.phase = 'stopped';
      this.failure = failure.message;
      throw failure;
    }
  }

  /** Safe at any time: a start under way is waited for first. */
  async stop(): Promise<void> {
    if (this.phase === 'starting') await this.starting?.catch(() => undefined);
    if (this.phase !== 'running') {
      if (this.phase === 'not started') this.phase = 'stopped';
      return;
    }
    this.phase = 'stopping';
    try {
      await this.close(this.connection!);
    } finally {
      this.phase = 'stopped';
    }
  }

  health(): AdapterHealth {
    if (this.phase === 'running') return { name: this.name, ...this.report(this.connection!) };
    return { name: this.name, ok: false, detail: this.failure ?? this.phase };
  }
}
