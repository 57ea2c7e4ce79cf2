import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadAllPersonas, loadPersona, parsePersona } from '../../src/personas/load.ts';
import { isPersonaError } from '../../src/errors.ts';

test('the shipped example personas are valid', () => {
  const personas = loadAllPersonas('personas');
  assert.ok(personas.length >= 2);
  for (const persona of personas) assert.ok(persona.sources.length > 0, `${persona.id} has sources`);
});

test('defaults are filled in for a minimal file', () => {
  const persona = parsePersona('id: ada\nname: Ada\n', 'ada.yaml');
  assert.equal(persona.training.method, 'lora');
  assert.equal(persona.training.lora.r, 16);
  assert.equal(persona.sampling.min_p, 0.05);
  assert.equal(persona.sampling.dry_multiplier, 0.8);
});

test('an invalid field names the file, the field and the allowed values', () => {
  assert.throws(
    () => parsePersona('id: ada\nname: Ada\ntraining:\n  method: qlora\n', 'personas/ada.yaml'),
    (error) =>
      isPersonaError(error, 'persona_invalid') &&
      /personas\/ada\.yaml/.test(error.message) &&
      /training\.method/.test(error.message) &&
      /lora, full/.test(error.message),
  );
});

test('unknown fields and broken YAML are reported with the file', () => {
  assert.throws(() => parsePersona('id: ada\nname: Ada\nvoice: x\n', 'a.yaml'), /unknown field\(s\) voice/);
  assert.throws(() => parsePersona('id: [ada\n', 'a.yaml'), /a\.yaml line \d+: not valid YAML/);
});

test('a missing persona lists the known ones; a mismatched id is refused', () => {
  const dir = mkdtempSync(join(tmpdir(), 'personas-'));
  writeFileSync(join(dir, 'bob.yaml'), 'id: rob\nname: Bob\n');
  assert.throws(
    () => loadPersona(dir, 'ada'),
    (e) => isPersonaError(e, 'persona_not_found') && /known: bob/.test(e.message),
  );
  assert.throws(() => loadPersona(dir, 'bob'), /field "id" is "rob"/);
  assert.throws(
    () => loadPersona(dir, '../etc'),
    (e) => isPersonaError(e, 'persona_not_found'),
  );
});
