/**
 * Persona Studio's controls in headless Chromium: undo and bulk decisions in the review
 * queue, a sample moved from the Dataset page, the chat's greeting, commands and
 * regenerate, Stop before and during a streamed reply, the training form's file defaults
 * (LoRA rank included), a run started elsewhere shown in its real
 * phase and cancelled (toast, checkpoint, no version), persona duplicate and delete (each
 * confirmed). Every page is also shot at 375 px wide and must not scroll sideways.
 * Screenshots go to test-artifacts/studio/ (not committed).
 */
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Page, Route } from 'playwright-core';
import { addDrafts, countSamples } from '../../../src/curation/index.ts';
import { dedupeKey } from '../../../src/ingest/index.ts';
import { FakeHub, repoFromFolder } from '../../fakes/hub/fake-hub.ts';
import { writeTinyModelFolder } from '../../fixtures/tiny-model-folder.ts';
import { openChromium } from './chromium.ts';
import { type SlowWindow, throttleChatStream } from './slow-chat-stream.ts';
import { PERSONA, startStudioProject } from './studio-project.ts';

const ARTIFACTS = join('test-artifacts', 'studio');
const PAGES = ['personas', 'chat', 'review', 'training', 'dataset'];

/** Chat replies reach the page one server-sent event per 150 ms. */
const THROTTLE_CHAT_STREAM = throttleChatStream(150);

/** Wider content than the viewport means sideways scrolling. */
const overflow = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);

test('Persona Studio controls: undo, bulk, dataset state, chat commands, cancel, manage; usable at 375 px', { timeout: 180_000 }, async (t) => {
  const browser = await openChromium(t);
  if (!browser) return;
  const hf = mkdtempSync(join(tmpdir(), 'studio-hf-'));
  const hub = await new FakeHub({ 'org/tiny': repoFromFolder(writeTinyModelFolder({ flavour: 'hub', dir: join(hf, 'source') }).dir) }).start();
  const project = await startStudioProject({ HF_HOME: join(hf, 'home'), HF_ENDPOINT: hub.url });
  t.after(async () => {
    await browser.close();
    await project.close();
    await hub.close();
    rmSync(hf, { recursive: true, force: true });
  });
  mkdirSync(ARTIFACTS, { recursive: true });
  const { store } = project.server.core;
  appendFileSync(join(project.root, 'personas', `${PERSONA}.yaml`), 'greeting: Good day, friends. What shall we talk about?\n');
  const pending = [
    'How is the weather by the lake today?',
    'It rained all week.',
    'The garden is glad of the rain, I think.',
    'Ask not what the garden can do.',
  ];
  await addDrafts(
    store,
    pending.map((text, i) => ({
      id: `pending-${i}`,
      persona: PERSONA,
      kind: 'monologue',
      context: [],
      text,
      speaker: 'FDR',
      source: { type: 'file', ref: 'uploads/talk.txt', position: String(i) },
      dedupeKey: dedupeKey(text),
      redactions: {},
    })),
  );
  const counts = () => countSamples(store, PERSONA);
  const page = await browser.context.newPage();
  page.setDefaultTimeout(20_000);
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on(
    'console',
    (message) => message.type() === 'error' && !message.text().startsWith('Failed to load resource') && problems.push(`console: ${message.text()}`),
  );
  const dialogs: string[] = [];
  page.on('dialog', (dialog) => {
    dialogs.push(dialog.message());
    void dialog.accept();
  });

  await t.test('review: the oldest candidate first, undo with u, then reject every match of a filter after a count', async (t) => {
    // The queue reloads slowly, as on a busy server: a decision's report must still mean
    // the page is ready for the next key (it once came before the reload, and `u` was lost).
    const slowQueue = `**/api/review/${PERSONA}`;
    await page.route(slowQueue, async (route) => {
      await new Promise((resolve) => setTimeout(resolve, 300));
      await route.continue();
    });
    t.after(() => page.unrouteAll({ behavior: 'wait' }));
    await page.goto(`${project.url}#/review/${PERSONA}`);
    const candidate = page.getByRole('article', { name: 'candidate' });
    await candidate.getByText('How is the weather by the lake today?').waitFor();
    await page.keyboard.press('a');
    await page
      .getByRole('status')
      .getByText(/^Approved: /)
      .waitFor();
    assert.equal((await counts()).pending, 3);
    await page.keyboard.press('u');
    await page.getByRole('status').getByText('Undid the approval of “How is the weather by the lake today?”.').waitFor();
    assert.equal((await counts()).pending, 4);

    await page.getByText('Decide many at once').click();
    const filter = page.getByRole('form', { name: 'filter candidates' });
    await filter.getByRole('textbox', { name: 'Text contains' }).fill('GARDEN');
    await filter.getByRole('button', { name: 'Count matches' }).click();
    await page.getByText('2 candidates match.').waitFor();
    await page.getByRole('button', { name: 'Reject all 2' }).click();
    await page.getByText('Rejected 2 candidates (u undoes it).').waitFor();
    assert.match(dialogs.at(-1)!, /^Reject all 2 candidates matching\?$/);
    assert.deepEqual([(await counts()).pending, (await counts()).rejected], [2, 2]);
  });

  await t.test('dataset: reject an approved sample from the list', async () => {
    const before = await counts();
    await page.goto(`${project.url}#/dataset/${PERSONA}`);
    await page.getByRole('heading', { name: `Samples (${before.approved})` }).waitFor();
    await page.getByRole('button', { name: 'reject sample 1', exact: true }).click();
    await page.getByRole('heading', { name: `Samples (${before.approved - 1})` }).waitFor();
    assert.equal((await counts()).rejected, before.rejected + 1);
  });

  await t.test('chat: the greeting first; /help and /reset never reach the model; regenerate replaces the reply', async () => {
    await page.goto(`${project.url}#/chat/${PERSONA}`);
    const pane = page.getByRole('region', { name: 'replies from base' });
    await pane.getByText('Good day, friends. What shall we talk about?').waitFor();
    const message = page.getByRole('textbox', { name: 'Message' });
    await message.fill('/help');
    await message.press('Enter');
    await page
      .getByRole('status')
      .getByText(/^\/help lists these commands/)
      .waitFor();
    assert.equal(await pane.locator('li.user').count(), 0, '/help is not a message');
    await page.getByRole('spinbutton', { name: 'Max length (tokens)' }).fill('4');
    await message.fill('Good morning.');
    await message.press('Enter');
    await pane.getByRole('button', { name: 'good reply' }).waitFor({ timeout: 30_000 });
    await pane.getByRole('button', { name: 'good reply' }).click();
    await pane.locator('button[aria-label="good reply"][aria-pressed="true"]').waitFor();
    await page.getByRole('button', { name: 'Regenerate' }).click();
    await page.getByRole('button', { name: 'Regenerate' }).and(page.locator(':enabled')).waitFor({ timeout: 30_000 });
    assert.equal(await pane.locator('li.bot:not(.streaming)').count(), 2, 'the greeting and one reply');
    await message.fill('/reset');
    await message.press('Enter');
    await page.getByRole('status').getByText('New conversation.').waitFor();
    assert.equal(await pane.locator('li.user').count(), 0);

    // Stop: the request is held on its way (the tiny model answers faster than a click) and let
    // go only after Stop; then a later message is answered, and the stopped reply never shows.
    let held: Route | undefined;
    await page.route('**/api/chat/tiny', (route) => {
      held = route;
    });
    await message.fill('Tell me about the lake.');
    await message.press('Enter');
    await page.getByRole('button', { name: 'Stop' }).click();
    await page.getByRole('button', { name: 'Send' }).waitFor();
    await page.unroute('**/api/chat/tiny');
    await held?.continue().catch(() => undefined);
    await message.fill('Good evening.');
    await message.press('Enter');
    await page.getByRole('button', { name: 'Regenerate' }).and(page.locator(':enabled')).waitFor({ timeout: 30_000 });
    assert.equal(await pane.locator('li.bot:not(.streaming)').count(), 2, 'the greeting and the later reply: the stopped reply never arrived');
    assert.equal(await pane.locator('li.user').count(), 2, 'both messages are shown');
  });

  await t.test('chat: Stop interrupts a reply that has started streaming and keeps what was written', async () => {
    await page.goto(`${project.url}#/chat/${PERSONA}`);
    const pane = page.getByRole('region', { name: 'replies from base' });
    await pane.getByText('Good day, friends. What shall we talk about?').waitFor();
    // The tiny model answers faster than a click: the page receives the reply's events one per 150 ms (recorded in __slow).
    await page.evaluate(THROTTLE_CHAT_STREAM);
    await page.getByRole('spinbutton', { name: 'Max length (tokens)' }).fill('40');
    const message = page.getByRole('textbox', { name: 'Message' });
    await message.fill('Tell me about the garden.');
    await message.press('Enter');
    await page.waitForFunction(() => (window as unknown as SlowWindow).__slow.delivered.trim().length > 0);
    await pane.locator('li.bot.streaming').waitFor();
    await page.getByRole('button', { name: 'Stop' }).click();
    await page.getByRole('button', { name: 'Send' }).waitFor();
    const slow = await page.evaluate(() => (window as unknown as SlowWindow).__slow);
    assert.equal(slow.sawDone, false, 'the reply was cut before its end');
    assert.ok(slow.undeliveredAtStop > 0, 'events of the reply were still on their way');
    const reply = pane.locator('li.bot:not(.streaming)').last();
    const shown = (await reply.textContent()) ?? '';
    assert.match(shown, /\(stopped\)/);
    assert.ok(shown.includes(slow.delivered.trim()), `the stopped reply keeps "${slow.delivered}": ${shown}`);
    await page.evaluate(() => {
      window.fetch = (window as unknown as SlowWindow).__realFetch;
    });
  });

  await t.test("training: the form holds the persona file's values; a run started elsewhere shows its phase and is cancelled", async () => {
    await page.goto(`${project.url}#/training/${PERSONA}`);
    const form = page.getByRole('form', { name: 'start a training run' });
    assert.deepEqual(
      [
        await form.getByRole('spinbutton', { name: 'Batch size' }).inputValue(),
        await form.getByRole('spinbutton', { name: 'Sequence length' }).inputValue(),
        await form.getByRole('combobox', { name: 'Method' }).inputValue(),
        await form.getByRole('spinbutton', { name: 'LoRA rank' }).inputValue(),
      ],
      ['2', '48', 'full', '16'],
    );
    // Started from another page (or Slack): this page learns of it only from the job history and the live events.
    const started = await fetch(`${project.url}api/training/${PERSONA}/start`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ maxSteps: 100_000 }),
    });
    assert.equal(started.status, 202);
    await page.reload();
    await page.getByText(/^Running: train/).waitFor({ timeout: 60_000 });
    await page.getByText(/step \d+\/100000 · loss/).waitFor({ timeout: 60_000 });
    await page.getByRole('button', { name: 'Cancel run' }).click();
    await page.getByText(/^Last run: interrupted — cancelled by studio at step \d+; the checkpoint is kept/).waitFor({ timeout: 60_000 });
    await page
      .getByRole('status', { name: 'notifications' })
      .getByText(/^Training of tiny stopped: cancelled by studio/)
      .waitFor();
    assert.equal((await project.server.core.registry.list(PERSONA)).length, 0, 'no version written');
    assert.ok(existsSync(join(project.root, 'data', 'checkpoints', PERSONA, 'checkpoint.json')), 'the checkpoint is kept');
  });

  await t.test('personas: duplicate, then delete the copy after a confirmation naming its data', async () => {
    await page.goto(`${project.url}#/personas/${PERSONA}`);
    const copy = page.getByRole('form', { name: 'duplicate persona' });
    await copy.getByRole('textbox', { name: "Copy's id" }).fill('tiny-copy');
    await copy.getByRole('button', { name: 'Duplicate' }).click();
    await page.waitForURL(/#\/personas\/tiny-copy$/);
    await page.getByRole('button', { name: /^Delete .*…$/ }).click();
    await page.waitForURL(/#\/personas$/);
    assert.match(dialogs.at(-1)!, /^Delete .*\? Its persona file, \d+ samples and \d+ model versions are removed/);
    assert.equal(existsSync(join(project.root, 'personas', 'tiny-copy.yaml')), false);
  });

  await t.test('every page at 1280 and 375 px: nothing wider than the screen', async () => {
    for (const [width, height] of [
      [1280, 860],
      [375, 812],
    ]) {
      await page.setViewportSize({ width, height });
      for (const name of PAGES) {
        await page.goto(`${project.url}#/${name}/${PERSONA}`);
        await page.locator('main h2').first().waitFor();
        await page.waitForTimeout(300);
        await page.screenshot({ path: join(ARTIFACTS, `${name}-${width}.png`), fullPage: true });
        assert.ok((await overflow(page)) <= 0, `${name} at ${width} px scrolls sideways by ${await overflow(page)} px`);
      }
    }
  });

  await t.test('base model: pull one from the Hub with progress, then fine-tune from it', async () => {
    await page.setViewportSize({ width: 1280, height: 860 });
    await page.goto(`${project.url}#/training/${PERSONA}`);
    const pull = page.getByRole('form', { name: 'pull a base' });
    await pull.getByRole('textbox', { name: 'Hugging Face id' }).fill('org/tiny');
    await pull.getByRole('button', { name: 'Pull' }).click();
    await page.getByText('Pulled org/tiny: choose it above.').waitFor({ timeout: 60_000 });
    const picker = page.getByRole('combobox', { name: 'Fine-tune from' });
    await picker.locator('option', { hasText: /^org\/tiny · / }).waitFor({ state: 'attached' });
    await picker.selectOption('org/tiny');
    await page.getByText('The next run of tiny fine-tunes org/tiny.').waitFor();
    assert.match(readFileSync(join(project.root, 'personas', `${PERSONA}.yaml`), 'utf8'), /^base: org\/tiny$/m);
  });

  assert.deepEqual(problems, [], 'no errors in the page');
});
