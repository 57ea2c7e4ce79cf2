/**
 * Stop strings over the reply text, including the other-speaker rule: a new line that starts
 * with another participant's name ("\nAlice:") ends the reply, and the line is trimmed, so a
 * bot never writes other people's lines. The reply is matched as if it followed a new line,
 * so a reply that *starts* with "Alice:" stops too.
 *
 * Streaming must never show text that is later trimmed, so `safeLength` holds back a tail
 * that could still grow into a stop string ("\nAl" might become "\nAlice:").
 */

export interface StopMatch {
  /** Where the reply ends (exclusive), in the reply text. */
  index: number;
  stop: string;
}

export class StopStrings {
  private readonly stops: string[];

  constructor(stops: readonly string[], otherSpeakers: readonly string[] = []) {
    const speakerStops = otherSpeakers.filter((name) => name.trim()).map((name) => `\n${name.trim()}:`);
    this.stops = [...new Set([...stops.filter(Boolean), ...speakerStops])];
  }

  get strings(): readonly string[] {
    return this.stops;
  }

  /** The earliest stop string in `text`, if any. */
  find(text: string): StopMatch | undefined {
    const haystack = `\n${text}`;
    let best: StopMatch | undefined;
    for (const stop of this.stops) {
      const at = haystack.indexOf(stop);
      if (at >= 0 && (!best || at - 1 < best.index)) best = { index: Math.max(0, at - 1), stop };
    }
    return best;
  }

  /** Length of the prefix of `text` that no stop string can still claim. */
  safeLength(text: string): number {
    const haystack = `\n${text}`;
    let hold = 0;
    for (const stop of this.stops) {
      for (let k = Math.min(stop.length - 1, haystack.length); k > hold; k--) {
        if (haystack.endsWith(stop.slice(0, k))) {
          hold = k;
          break;
        }
      }
    }
    return Math.max(0, text.length - hold);
  }
}
