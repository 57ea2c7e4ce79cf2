/**
 * SRT and WebVTT subtitles: cue numbers, timing lines, header/NOTE/STYLE blocks and
 * formatting tags are removed, and the duplicated lines of rolling captions (each cue
 * repeating the previous line, or growing it word by word) are emitted once.
 *
 * Who speaks: a file without `<v Name>` labels, or whose labels all name the chosen
 * speaker (`isVoice`), is one speaker's talk with an occasional label, so every cue is
 * that speaker's monologue. Labels naming anyone else make a dialogue: each label is kept
 * and an unlabelled line continues the voice before it. `attribution` counts lines by the
 * way their speaker was decided.
 */
import type { ParsedSource } from '../types.js';
import { clockToMs, emptySource, malformed } from './common.js';
import { fragmentText, joinFragments, type Fragment } from './fragments.js';

const TIMING = /((?:\d+:)?\d{1,2}:\d{2}[,.]\d{1,3})\s*-->\s*((?:\d+:)?\d{1,2}:\d{2}[,.]\d{1,3})/;
const TAG = /<[^>]*>|\{\\[^}]*\}/g;
const SUBTITLE_PAUSE_MS = 2000;

/** Keeps only what a rolling caption adds to the previous line. */
class RollingDedupe {
  private recent: string[] = [];

  novel(line: string): string {
    if (this.recent.includes(line)) return '';
    const last = this.recent[this.recent.length - 1];
    this.recent.push(line);
    if (this.recent.length > 3) this.recent.shift();
    return last && line.startsWith(last) ? line.slice(last.length).trim() : line;
  }
}

/** A WebVTT voice span (`<v Ada>` or `<v.loud Ada>`): who speaks the cue line. */
const VOICE = /<v(?:\.[\w.-]+)*\s+([^>]+)>/;

interface Line extends Fragment {
  speaker?: string;
}

/** Whether a label names the voice the user chose (or the persona's); by default nobody. */
export type VoiceTest = (name: string) => boolean;

export function parseSubtitles(text: string, format: 'srt' | 'vtt', isVoice: VoiceTest = () => false): ParsedSource {
  const blocks = text.split(/\n[ \t]*\n/);
  const lines: Line[] = [];
  const rolling = new RollingDedupe();
  let cue = 0;
  for (const block of blocks) {
    const rows = block.split('\n');
    const timingAt = rows.findIndex((row) => row.includes('-->'));
    if (timingAt < 0) continue; // WEBVTT header, NOTE, STYLE, REGION, stray text
    const timing = TIMING.exec(rows[timingAt]);
    if (!timing) throw malformed(`cue ${cue + 1} has an unreadable timing line "${rows[timingAt].trim()}"`);
    cue++;
    const start = clockToMs(timing[1]);
    const end = clockToMs(timing[2]);
    rows.slice(timingAt + 1).forEach((raw, k) => {
      const speaker = VOICE.exec(raw)?.[1].trim();
      const { text: line, breakBefore } = fragmentText(raw.replace(TAG, '').replace(/&amp;/g, '&').replace(/&lt;/g, '<').replace(/&gt;/g, '>'));
      const added = line && rolling.novel(line);
      if (added) lines.push({ text: added, start, end, position: k === 0 ? `c${cue}` : `c${cue}.${k}`, breakBefore, speaker });
    });
  }
  if (cue === 0 && text.trim()) throw malformed(`no ${format === 'srt' ? 'SRT' : 'WebVTT'} cues (timing lines with "-->") found`);
  const source = emptySource(format);
  const labelled = lines.filter((line) => line.speaker).length;
  if (lines.some((line) => line.speaker && !isVoice(line.speaker))) {
    // A dialogue: one message per line, a line without a label continues the last voice.
    let speaker: string | undefined;
    const attribution = { labelled, previous_label: 0, unknown: 0 };
    source.conversations = [
      lines.map((line) => {
        if (!line.speaker) attribution[speaker ? 'previous_label' : 'unknown']++;
        speaker = line.speaker ?? speaker;
        return { speaker: speaker ?? 'unknown', text: line.text, timestamp: line.start, position: line.position };
      }),
    ];
    source.attribution = attribution;
  } else {
    source.passages = joinFragments(lines, { pauseMs: SUBTITLE_PAUSE_MS });
    source.attribution = { labelled, chosen_speaker: lines.length - labelled };
  }
  return source;
}
