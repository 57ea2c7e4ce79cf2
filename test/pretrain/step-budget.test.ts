// Sizing a pretraining run to a time budget: the measured step time sets the step count,
// and a resumed run reuses the stored plan instead of re-measuring (its schedule depends on it).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stepPlan } from '../../src/pretrain/step-budget.ts';

test('a 2-hour budget at 1.5 s/step plans 4,320 steps, and resuming keeps that plan', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'step-plan-'));
  try {
    const file = join(dir, 'plan.json');
    const plan = await stepPlan(file, 2, 4096, true, async () => 1.5);
    assert.equal(plan.steps, 4320);
    assert.equal(Math.round(plan.tokensPerSecond), 2731);
    const resumed = await stepPlan(file, 2, 4096, true, async () => assert.fail('must not re-measure on resume'));
    assert.deepEqual(resumed, plan);
    const fresh = await stepPlan(file, 2, 4096, false, async () => 3);
    assert.equal(fresh.steps, 2160);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
