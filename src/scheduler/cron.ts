/**
 * The only module that imports node-cron. A `CronDriver` fires a callback when a cron
 * expression matches; `NodeCronDriver` does it on real time, `ManualCronDriver` on an
 * injected clock (tests advance it minute by minute using node-cron's own matcher, so the
 * tested semantics — fields, time zones — are the library's, without real waiting).
 */
import cron, { type ScheduledTask } from 'node-cron';
import { PersonaError } from '../errors.js';

export interface CronSpec {
  /** Unique key, e.g. the persona id. */
  key: string;
  expression: string;
  timezone: string;
}

export type CronFire = (firedAt: Date) => void;

export interface CronDriver {
  add(spec: CronSpec, fire: CronFire): void;
  remove(key: string): void;
  keys(): string[];
  stop(): Promise<void>;
}

/** Throws a PersonaError naming `where` (file and field) and the broken cron field. */
export function validateCron(expression: string, timezone: string, where: string): void {
  const result = cron.validateDetailed(expression);
  if (!result.valid) {
    const reasons = result.errors.map((e) => `${e.field}: ${e.message}`).join('; ');
    throw new PersonaError('persona_invalid', `${where}: cron expression "${expression}" is invalid (${reasons}).`, { expression });
  }
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: timezone });
  } catch {
    throw new PersonaError('persona_invalid', `${where}: time zone "${timezone}" is not a valid IANA time zone (e.g. UTC, Europe/Paris).`, { timezone });
  }
}

function createTask(spec: CronSpec, fire: CronFire): ScheduledTask {
  return cron.createTask(spec.expression, (context) => fire(context.date), { timezone: spec.timezone, name: spec.key, noOverlap: true });
}

export class NodeCronDriver implements CronDriver {
  private readonly tasks = new Map<string, ScheduledTask>();

  add(spec: CronSpec, fire: CronFire): void {
    this.remove(spec.key);
    const task = createTask(spec, fire);
    this.tasks.set(spec.key, task);
    void task.start();
  }

  remove(key: string): void {
    const task = this.tasks.get(key);
    if (task) void task.destroy();
    this.tasks.delete(key);
  }

  keys(): string[] {
    return [...this.tasks.keys()];
  }

  async stop(): Promise<void> {
    await Promise.all([...this.tasks.values()].map((task) => task.destroy()));
    this.tasks.clear();
  }

  nextRun(key: string): Date | null {
    return this.tasks.get(key)?.getNextRun() ?? null;
  }
}

/** Fires on an injected clock: `advanceTo(date)` visits every whole minute since the last call. */
export class ManualCronDriver implements CronDriver {
  private readonly entries = new Map<string, { task: ScheduledTask; fire: CronFire }>();

  constructor(private current: Date) {}

  get now(): Date {
    return new Date(this.current);
  }

  add(spec: CronSpec, fire: CronFire): void {
    this.remove(spec.key);
    this.entries.set(spec.key, { task: createTask(spec, fire), fire });
  }

  remove(key: string): void {
    const entry = this.entries.get(key);
    if (entry) void entry.task.destroy();
    this.entries.delete(key);
  }

  keys(): string[] {
    return [...this.entries.keys()];
  }

  advanceTo(target: Date): void {
    const minute = 60_000;
    let t = Math.floor(this.current.getTime() / minute) * minute + minute;
    for (; t <= target.getTime(); t += minute) {
      const at = new Date(t);
      for (const { task, fire } of this.entries.values()) if (task.match(at)) fire(at);
    }
    this.current = new Date(target);
  }

  async stop(): Promise<void> {
    for (const key of this.keys()) this.remove(key);
  }
}
