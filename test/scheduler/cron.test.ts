import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualCronDriver, validateCron } from '../../src/scheduler/cron.ts';
import { isPersonaError } from '../../src/errors.ts';

test('an injected clock fires schedules at the minutes node-cron matches, in their time zone', async () => {
  const driver = new ManualCronDriver(new Date('2026-11-27T00:00:00Z'));
  const fired: string[] = [];
  driver.add({ key: 'utc', expression: '0 3 * * *', timezone: 'UTC' }, (at) => fired.push(`utc ${at.toISOString()}`));
  driver.add({ key: 'ny', expression: '0 3 * * *', timezone: 'America/New_York' }, (at) => fired.push(`ny ${at.toISOString()}`));
  driver.advanceTo(new Date('2026-11-28T12:00:00Z'));
  assert.deepEqual(fired, ['utc 2026-11-27T03:00:00.000Z', 'ny 2026-11-27T08:00:00.000Z', 'utc 2026-11-28T03:00:00.000Z', 'ny 2026-11-28T08:00:00.000Z']);
  driver.remove('ny');
  driver.advanceTo(new Date('2026-11-29T12:00:00Z'));
  assert.equal(fired.at(-1), 'utc 2026-11-29T03:00:00.000Z');
  await driver.stop();
});

test('invalid cron expressions and time zones name where they came from', () => {
  assert.throws(
    () => validateCron('61 * * * *', 'UTC', 'personas/fdr.yaml field schedule.cron'),
    (e) => isPersonaError(e, 'persona_invalid') && /fdr\.yaml.*minute/.test(e.message),
  );
  assert.throws(() => validateCron('0 3 * * *', 'Mars/Olympus', 'personas/fdr.yaml'), /time zone "Mars\/Olympus"/);
  validateCron('0 3 * * *', 'Europe/Paris', 'x');
});
