/**
 * Style metrics of sampled replies against the persona's real replies: do they have the
 * persona's length, words and variety, and do they stay in their own lines?
 *
 * - length_ratio: mean words per generated reply ÷ mean words per real reply (1 is ideal);
 * - vocabulary_overlap: share of generated word types the persona really uses;
 * - distinct_2: distinct word bigrams ÷ all bigrams in generated replies (low = repetitive);
 * - other_speaker_rate: share of replies cut because the model began another speaker's line
 *   or a stop string.
 */

export interface StyleMetrics {
  length_ratio: number;
  vocabulary_overlap: number;
  distinct_2: number;
  other_speaker_rate: number;
  replies: number;
}

export interface GeneratedReply {
  text: string;
  /** True when generation stopped on a stop string (another speaker's line included). */
  cutAtOtherSpeaker: boolean;
}

const words = (text: string): string[] => text.toLowerCase().match(/[\p{L}\p{N}']+/gu) ?? [];

const mean = (values: number[]): number => (values.length === 0 ? 0 : values.reduce((a, b) => a + b, 0) / values.length);

export function styleMetrics(generated: readonly GeneratedReply[], real: readonly string[]): StyleMetrics {
  const realWords = real.map(words);
  const generatedWords = generated.map((reply) => words(reply.text));
  const realVocabulary = new Set(realWords.flat());
  const generatedVocabulary = new Set(generatedWords.flat());
  const overlap = [...generatedVocabulary].filter((word) => realVocabulary.has(word)).length;
  const bigrams = generatedWords.flatMap((ws) => ws.slice(1).map((w, i) => `${ws[i]} ${w}`));
  const realMean = mean(realWords.map((ws) => ws.length));
  return {
    length_ratio: realMean === 0 ? 0 : mean(generatedWords.map((ws) => ws.length)) / realMean,
    vocabulary_overlap: generatedVocabulary.size === 0 ? 0 : overlap / generatedVocabulary.size,
    distinct_2: bigrams.length === 0 ? 0 : new Set(bigrams).size / bigrams.length,
    other_speaker_rate: generated.length === 0 ? 0 : generated.filter((reply) => reply.cutAtOtherSpeaker).length / generated.length,
    replies: generated.length,
  };
}
