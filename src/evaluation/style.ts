/**
 * Style metrics of sampled replies against the persona's real replies: do they have the
 * persona's length, words and variety, and do they stay in their own lines?
 *
 * - length_ratio: mean words per generated reply ÷ mean words per real reply (1 is ideal);
 * - vocabulary_overlap: share of generated word types the persona really uses;
 * - distinct_2: distinct word bigrams ÷ all bigrams in generated replies (low = repetitive);
 * - repeated_4gram_rate: word 4-grams that repeat one earlier in the same reply ÷ all 4-grams
 *   (a looping reply scores high);
 * - other_speaker_rate: share of replies cut because the model began another speaker's line
 *   or a stop string.
 */

/** Which direction is better for each style metric (reports show it next to the value). */
export const STYLE_BETTER = {
  length_ratio: 'closer to 1',
  vocabulary_overlap: 'higher',
  distinct_2: 'higher',
  repeated_4gram_rate: 'lower',
  other_speaker_rate: 'lower',
} as const;

export interface StyleMetrics {
  length_ratio: number;
  vocabulary_overlap: number;
  distinct_2: number;
  /** Share of word 4-grams that already occurred earlier in the same reply (loops). */
  repeated_4gram_rate: number;
  other_speaker_rate: number;
  replies: number;
}

export interface GeneratedReply {
  text: string;
  /** True when generation stopped on a stop string (another speaker's line included). */
  cutAtOtherSpeaker: boolean;
}

export const words = (text: string): string[] => text.toLowerCase().match(/[\p{L}\p{N}']+/gu) ?? [];

/** Repeated and total word n-grams within one reply. */
export function repeatedNgrams(ws: readonly string[], n: number): { repeated: number; total: number } {
  const seen = new Set<string>();
  let repeated = 0;
  for (let i = 0; i + n <= ws.length; i++) {
    const gram = ws.slice(i, i + n).join(' ');
    if (seen.has(gram)) repeated++;
    else seen.add(gram);
  }
  return { repeated, total: Math.max(0, ws.length - n + 1) };
}

const mean = (values: number[]): number => (values.length === 0 ? 0 : values.reduce((a, b) => a + b, 0) / values.length);

export function styleMetrics(generated: readonly GeneratedReply[], real: readonly string[]): StyleMetrics {
  const realWords = real.map(words);
  const generatedWords = generated.map((reply) => words(reply.text));
  const realVocabulary = new Set(realWords.flat());
  const generatedVocabulary = new Set(generatedWords.flat());
  const overlap = [...generatedVocabulary].filter((word) => realVocabulary.has(word)).length;
  const bigrams = generatedWords.flatMap((ws) => ws.slice(1).map((w, i) => `${ws[i]} ${w}`));
  const grams = generatedWords.map((ws) => repeatedNgrams(ws, 4));
  const totalGrams = grams.reduce((sum, g) => sum + g.total, 0);
  const realMean = mean(realWords.map((ws) => ws.length));
  return {
    length_ratio: realMean === 0 ? 0 : mean(generatedWords.map((ws) => ws.length)) / realMean,
    vocabulary_overlap: generatedVocabulary.size === 0 ? 0 : overlap / generatedVocabulary.size,
    distinct_2: bigrams.length === 0 ? 0 : new Set(bigrams).size / bigrams.length,
    repeated_4gram_rate: totalGrams === 0 ? 0 : grams.reduce((sum, g) => sum + g.repeated, 0) / totalGrams,
    other_speaker_rate: generated.length === 0 ? 0 : generated.filter((reply) => reply.cutAtOtherSpeaker).length / generated.length,
    replies: generated.length,
  };
}
