/**
 * Small in-process implementations of the middleware's own ports (not mocks of any library):
 * a scripted reply engine that streams a fixed text, a reply channel that records what a
 * platform would show, and list-backed candidate, feedback and consent stores.
 */
import { PersonaError } from '../../../src/errors.ts';
import { personaSchema, type Persona, type PersonaInput } from '../../../src/personas/schema.ts';
import type { ReplyChannel } from '../../../src/adapters/types.ts';
import {
  InMemoryState,
  type CandidateSink,
  type CapturedMessage,
  type ChatServices,
  type ConsentRegistry,
  type FeedbackRecord,
  type FeedbackSink,
  type PersonaDirectory,
  type PromptTurn,
  type ReplyEngine,
  type ReplyOptions,
  type ReplyRequest,
  type TrainingControl,
  type TrainingStatus,
} from '../../../src/adapters/middleware/index.ts';
import type { SampleDraft } from '../../../src/ingest/types.ts';

export function persona(input: PersonaInput): Persona {
  return personaSchema.parse(input);
}

export class ListPersonas implements PersonaDirectory {
  constructor(private readonly personas: Persona[]) {}
  list(): Persona[] {
    return this.personas;
  }
  get(id: string): Persona {
    const found = this.personas.find((p) => p.id === id);
    if (!found) throw new PersonaError('persona_not_found', `No persona "${id}" (known: ${this.personas.map((p) => p.id).join(', ')}).`, { id });
    return found;
  }
}

/** Replies "<name> says: <last user text>" in `pieces` steps, `stepMs` apart. */
export class ScriptedEngine implements ReplyEngine {
  readonly calls: { personaId: string; turns: PromptTurn[]; request?: ReplyRequest }[] = [];
  failures: Error[] = [];
  constructor(private readonly options: { pieces?: number; stepMs?: number; text?: (persona: Persona, turns: PromptTurn[]) => string } = {}) {}
  async reply(persona: Persona, turns: PromptTurn[], { onText, signal, request }: ReplyOptions): Promise<{ text: string }> {
    this.calls.push({ personaId: persona.id, turns, request });
    const failure = this.failures.shift();
    if (failure) throw failure;
    const text = this.options.text?.(persona, turns) ?? `${persona.name} says: ${turns.at(-1)?.text}`;
    const pieces = this.options.pieces ?? 3;
    for (let i = 1; i <= pieces; i += 1) {
      signal?.throwIfAborted();
      await new Promise((resolve) => setTimeout(resolve, this.options.stepMs ?? 1));
      onText?.(text.slice(0, Math.ceil((text.length * i) / pieces)));
    }
    return { text };
  }
}

export class RecordingReply implements ReplyChannel {
  readonly updates: string[] = [];
  typed = 0;
  final?: string;
  failure?: string;
  constructor(
    readonly personaId: string,
    private readonly ids: string[] = ['m1'],
  ) {}
  async typing() {
    this.typed += 1;
  }
  async update(text: string) {
    this.updates.push(text);
  }
  async finish(text: string) {
    this.final = text;
    return this.ids;
  }
  async fail(message: string) {
    this.failure = message;
  }
}

export class ListCandidates implements CandidateSink {
  readonly pending: CapturedMessage[] = [];
  async capture(message: CapturedMessage): Promise<SampleDraft | null> {
    this.pending.push(message);
    return {
      id: `${message.ref}#${message.messageId}`,
      persona: message.persona.id,
      kind: 'conversation',
      context: message.context.map((turn) => ({ speaker: turn.speaker.name, text: turn.text })),
      text: message.text,
      speaker: message.author.name,
      source: { type: 'discord', ref: message.ref, position: message.messageId },
      dedupeKey: message.text,
      redactions: {},
    };
  }
}

export class ListFeedback implements FeedbackSink {
  readonly records: FeedbackRecord[] = [];
  async record(feedback: FeedbackRecord) {
    this.records.push(feedback);
  }
}

export class SetConsent implements ConsentRegistry {
  readonly optedOut = new Set<string>();
  constructor(private readonly candidates: ListCandidates) {}
  async isOptedOut(platform: string, userId: string) {
    return this.optedOut.has(`${platform}:${userId}`);
  }
  async optOut(platform: string, userId: string) {
    this.optedOut.add(`${platform}:${userId}`);
    const before = this.candidates.pending.length;
    this.candidates.pending.splice(0, before, ...this.candidates.pending.filter((c) => c.author.id !== userId));
    return { removedCandidates: before - this.candidates.pending.length };
  }
  async optIn(platform: string, userId: string) {
    this.optedOut.delete(`${platform}:${userId}`);
  }
}

/** Queues nothing: remembers which personas were asked to train. */
export class RecordingTraining implements TrainingControl {
  readonly started: string[] = [];
  async status(personaId?: string): Promise<TrainingStatus[]> {
    return [{ personaId: personaId ?? 'ada', summary: `base model, ${this.started.length} run(s) queued` }];
  }
  async trainNow(personaId: string) {
    this.started.push(personaId);
    return `Training of ${personaId} is queued.`;
  }
  readonly cancelled: string[] = [];
  async cancel(personaId: string, by: string) {
    this.cancelled.push(`${personaId} by ${by}`);
    return `Cancelling training of ${personaId}.`;
  }
}

export function testServices(personas: Persona[], engine: ReplyEngine = new ScriptedEngine()) {
  const candidates = new ListCandidates();
  const services = {
    personas: new ListPersonas(personas),
    engine,
    state: new InMemoryState(),
    candidates,
    feedback: new ListFeedback(),
    consent: new SetConsent(candidates),
    training: new RecordingTraining(),
  } satisfies ChatServices;
  return services;
}
