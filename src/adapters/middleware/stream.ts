/**
 * Streams a growing reply into a sequence of platform messages: the first text is posted at
 * once (time to first content matters more than anything), later text edits the message at
 * most every `minIntervalMs`, and text past the platform's length limit continues in a new
 * message, split on sentence boundaries. Each adapter supplies how to post and edit.
 */
import { splitMessage } from './reply-split.js';

export interface MessageSink {
  /** Posts a new message; returns its platform id. */
  post(text: string): Promise<string>;
  edit(messageId: string, text: string): Promise<void>;
}

export interface StreamOptions {
  /** Platform message length limit (Discord 2,000). */
  limit: number;
  /** Minimum time between two edits of the same reply (default 1 s). */
  minIntervalMs?: number;
}

export class StreamRenderer {
  private readonly sent: { id: string; text: string }[] = [];
  private latest = '';
  private lastFlushAt = 0;
  private timer: NodeJS.Timeout | undefined;
  /** Serialises flushes: edits must reach the platform in order. */
  private flushing: Promise<void> = Promise.resolve();
  private finished = false;
  private readonly minIntervalMs: number;

  constructor(
    private readonly sink: MessageSink,
    private readonly options: StreamOptions,
  ) {
    this.minIntervalMs = options.minIntervalMs ?? 1000;
  }

  /** Records the text so far; posts now if nothing is shown yet, otherwise edits when the interval allows. */
  update(textSoFar: string): Promise<void> {
    if (this.finished || !textSoFar.trim()) return Promise.resolve();
    this.latest = textSoFar;
    if (this.sent.length === 0 && this.lastFlushAt === 0) return this.flush();
    if (this.timer) return Promise.resolve();
    const wait = Math.max(0, this.lastFlushAt + this.minIntervalMs - Date.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush().catch(() => {});
    }, wait);
    return Promise.resolve();
  }

  /** Shows the final text (editing what is already posted, posting the rest); returns every message id. */
  async finish(text: string): Promise<string[]> {
    this.finished = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.latest = text;
    await this.flush();
    return this.sent.map((message) => message.id);
  }

  private flush(): Promise<void> {
    this.lastFlushAt = Date.now();
    const run = this.flushing.then(() => this.render(this.latest));
    this.flushing = run.catch(() => {});
    return run;
  }

  private async render(text: string): Promise<void> {
    const chunks = splitMessage(text, this.options.limit);
    for (const [index, chunk] of chunks.entries()) {
      const shown = this.sent[index];
      if (!shown) {
        this.sent.push({ id: await this.sink.post(chunk), text: chunk });
      } else if (shown.text !== chunk) {
        await this.sink.edit(shown.id, chunk);
        shown.text = chunk;
      }
    }
  }
}
