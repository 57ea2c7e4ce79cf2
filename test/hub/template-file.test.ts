/**
 * Hub repos saved by recent transformers keep the chat template in chat_template.jinja (or
 * chat_template.json) rather than in tokenizer_config.json; `base pull` fetches those files
 * and a folder holding only them loads with its template.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadModelFolderMetadata } from '../../src/modelfmt/model-folder.ts';
import { writeTinyModelFolder } from '../fixtures/tiny-model-folder.ts';

test('a chat template in chat_template.jinja or chat_template.json is used when tokenizer_config.json has none', () => {
  const { dir } = writeTinyModelFolder({ flavour: 'hub' });
  try {
    const file = join(dir, 'tokenizer_config.json');
    const { chat_template: template, ...rest } = JSON.parse(readFileSync(file, 'utf8'));
    assert.equal(typeof template, 'string');
    writeFileSync(file, JSON.stringify(rest));
    writeFileSync(join(dir, 'chat_template.jinja'), template);
    assert.equal(loadModelFolderMetadata(dir).tokenizerConfig.chat_template, template);
    rmSync(join(dir, 'chat_template.jinja'));
    writeFileSync(join(dir, 'chat_template.json'), JSON.stringify({ chat_template: template }));
    assert.equal(loadModelFolderMetadata(dir).tokenizerConfig.chat_template, template);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
