/**
 * Persona Studio in headless Chromium, over a temp project served in-process by the real
 * `persona serve` (a tiny random model as base): what a user notices on each page, in the
 * order of a first session — the example persona offered for training, a persona created
 * from the form, uploads (progress, summary, refusals), the review queue by keyboard (and
 * two tabs on one candidate), a streamed chat reply from the base, a short training run with
 * its live chart and the gate's decision, before/after in the chat's compare mode, promote
 * and roll back. Screenshots of every page go to test-artifacts/studio/ (not committed).
 */
import assert from 'node:assert/strict';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, ftruncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import { openChromium } from './chromium.ts';
import { type SlowWindow, throttleChatStream } from './slow-chat-stream.ts';
import { PERSONA, startStudioProject } from './studio-project.ts';

const ARTIFACTS = join('test-artifacts', 'studio');

const INTERVIEW = `Interviewer: What drew you to the Analytical Engine?
Ada: The engine weaves algebraical patterns just as the Jacquard loom weaves flowers and leaves.
Interviewer: Will it ever think for itself?
Ada: It has no pretensions whatever to originate anything; it can do whatever we know how to order it to perform.
Interviewer: And what of music?
Ada: The engine might compose elaborate and scientific pieces of music of any degree of complexity or extent.
Interviewer: Is poetry any use to a mathematician?
Ada: Imagination is the discovering faculty, pre-eminently; it is that which penetrates into the unseen worlds around us.
`;

/** Remembers every text a streaming reply showed before it was complete. */
async function watchStreaming(page: Page): Promise<void> {
  await page.evaluate(() => {
    const seen = new Set<string>();
    (window as unknown as { streamed: Set<string> }).streamed = seen;
    new MutationObserver(() => {
      for (const li of document.querySelectorAll('li.streaming')) if (li.textContent?.trim()) seen.add(li.textContent);
    }).observe(document.body, { subtree: true, childList: true, characterData: true });
  });
}

const streamedStates = (page: Page) => page.evaluate(() => (window as unknown as { streamed: Set<string> }).streamed.size);

test('Persona Studio in Chromium: a first session, page by page', { timeout: 180_000 }, async (t) => {
  const browser = await openChromium(t);
  if (!browser) return;
  const project = await startStudioProject();
  t.after(async () => {
    await browser.close();
    await project.close();
  });
  mkdirSync(ARTIFACTS, { recursive: true });
  const page = await browser.context.newPage();
  page.setDefaultTimeout(20_000);
  // Roll back and Remove ask first (window.confirm): answer yes, and remember the question.
  const confirmations: string[] = [];
  page.on('dialog', (dialog) => {
    confirmations.push(dialog.message());
    void dialog.accept();
  });
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  // Refusals (409, 413, 415…) are expected answers; Chromium logs each as a failed resource.
  page.on(
    'console',
    (message) => message.type() === 'error' && !message.text().startsWith('Failed to load resource') && problems.push(`console: ${message.text()}`),
  );
  // Everything the page loads comes from the studio itself: no CDN, no network.
  page.on(
    'request',
    (request) => !request.url().startsWith(project.url) && !request.url().startsWith('data:') && problems.push(`off-site request: ${request.url()}`),
  );
  const shot = (name: string) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
  const personas = async () =>
    (await (await fetch(`${project.url}api/personas`)).json()) as Array<{ id: string; champion: string | null; counts: Record<string, number> }>;

  await t.test('first run: the example persona is listed and offered a training run', async () => {
    await page.goto(project.url);
    await page.getByRole('heading', { name: 'Personas', exact: true }).waitFor();
    const offer = page.getByRole('region', { name: 'first training' });
    await offer.getByText('FDR has 12 approved samples and no trained model yet').waitFor();
    await offer.getByRole('button', { name: 'Train FDR now' }).waitFor();
    assert.equal(await page.locator('#app').getByText('Loading Persona Studio').count(), 0, 'the loading line is gone');
    await shot('personas-first-run');
  });

  await t.test('create a persona from the form', async () => {
    const form = page.getByRole('form', { name: 'New persona' });
    await form.getByRole('textbox', { name: 'Id', exact: true }).fill('ada');
    await form.getByRole('textbox', { name: 'Name', exact: true }).fill('Ada Lovelace');
    await form.getByRole('textbox', { name: 'Voices' }).fill('Ada');
    await form.getByRole('textbox', { name: 'Name', exact: true }).press('Enter');
    await form.getByRole('status').getByText('Created Ada Lovelace (personas/ada.yaml).').waitFor();
    await page.getByRole('link', { name: 'Ada Lovelace' }).waitFor();
    assert.match(readFileSync(join(project.root, 'personas', 'ada.yaml'), 'utf8'), /name: Ada Lovelace/);
    assert.match(page.url(), /#\/personas\/ada$/);

    await form.getByRole('textbox', { name: 'Id', exact: true }).fill('ada');
    await form.getByRole('textbox', { name: 'Name', exact: true }).fill('Another Ada');
    await form.getByRole('button', { name: 'Create persona' }).click();
    await form
      .getByRole('alert')
      .getByText(/A persona "ada" already exists/)
      .waitFor();
  });

  await t.test('upload a transcript (progress, then the summary); unsupported and oversized files are refused with the reason', async () => {
    const files = join(project.root, 'to-upload');
    mkdirSync(files);
    writeFileSync(join(files, 'interview.txt'), INTERVIEW);
    writeFileSync(join(files, 'photo.png'), Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]), Buffer.alloc(200, 7)]));
    const huge = openSync(join(files, 'huge.txt'), 'w');
    ftruncateSync(huge, 51 * 2 ** 20); // sparse: 51 MB on paper, nothing on disk
    closeSync(huge);

    const form = page.getByRole('form', { name: 'Upload transcripts or chat exports' });
    await page.evaluate(() => {
      const w = window as unknown as { sawProgress: boolean };
      w.sawProgress = false;
      new MutationObserver(() => {
        if (document.querySelector('progress.upload')) w.sawProgress = true;
      }).observe(document.body, { subtree: true, childList: true });
    });
    await form.getByLabel('File', { exact: true }).setInputFiles(join(files, 'interview.txt'));
    await form.getByRole('button', { name: 'Upload' }).click();
    const summary = form.getByRole('status').getByText(/^interview\.txt \(script\): \d+ samples added to the review queue/);
    await summary.waitFor();
    const added = Number(/: (\d+) samples added/.exec(await summary.innerText())![1]);
    assert.ok(added >= 3, `the interview gave ${added} candidates`);
    assert.equal(
      await page.evaluate(() => (window as unknown as { sawProgress: boolean }).sawProgress),
      true,
      'a progress bar showed while the file was sent and imported',
    );
    await page.getByRole('link', { name: 'Review the new candidates' }).waitFor();
    await shot('personas-upload');

    await form.getByLabel('File', { exact: true }).setInputFiles(join(files, 'photo.png'));
    await form.getByRole('button', { name: 'Upload' }).click();
    await form
      .getByRole('alert')
      .getByText(/^photo\.png was not imported: .+/)
      .waitFor();

    await form.getByLabel('File', { exact: true }).setInputFiles(join(files, 'huge.txt'));
    await form.getByRole('button', { name: 'Upload' }).click();
    await form.getByRole('alert').getByText('huge.txt is 51 MB; the studio accepts files up to 50 MB.', { exact: false }).waitFor();
    assert.equal(existsSync(join(project.root, 'transcripts', 'ada', 'uploads', 'huge.txt')), false, 'the oversized file was never sent');
    assert.equal(existsSync(join(project.root, 'transcripts', 'ada', 'uploads', 'photo.png')), false, 'the refused file was not kept');
    await shot('personas-upload-refused');
  });

  await t.test('review queue by keyboard: approve, reject, edit; two tabs deciding one candidate count once', async () => {
    const before = (await personas()).find((p) => p.id === 'ada')!.counts;
    await page.goto(`${project.url}#/review/ada`);
    const candidate = page.getByRole('article', { name: 'candidate' });
    await candidate.getByText(`1 of ${before.pending}`).waitFor();
    const other = await browser.context.newPage();
    await other.goto(`${project.url}#/review/ada`);
    await other.getByRole('article', { name: 'candidate' }).getByText(`1 of ${before.pending}`).waitFor();

    await page.keyboard.press('a');
    await page
      .getByRole('status')
      .getByText(/^Approved: .* is now approved\.$/)
      .waitFor();
    await other.keyboard.press('a');
    await other
      .getByRole('alert')
      .getByText(/^This candidate was already approved in the studio \(another tab or window\)\.$/)
      .waitFor();
    await other.close();

    await candidate.getByText(`1 of ${before.pending - 1}`).waitFor();
    await page.keyboard.press('r');
    await page
      .getByRole('status')
      .getByText(/^Rejected: .* is now rejected\.$/)
      .waitFor();

    await candidate.getByText(`1 of ${before.pending - 2}`).waitFor();
    await page.keyboard.press('e');
    const editor = candidate.getByRole('textbox', { name: 'Corrected text' });
    await page.waitForFunction(() => document.activeElement?.tagName === 'TEXTAREA');
    await page.keyboard.press('Control+A');
    await page.keyboard.type('Imagination is the discovering faculty.');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await page.getByRole('status').getByText('Edited and approved: “Imagination is the discovering faculty.” is now approved.').waitFor();
    assert.equal(await editor.count(), 0);
    const after = (await personas()).find((p) => p.id === 'ada')!.counts;
    assert.deepEqual([after.approved, after.rejected, after.pending], [before.approved + 2, before.rejected + 1, before.pending - 3]);
    await shot('review');
  });

  await t.test('chat: the base model answers at once, streamed', async () => {
    await page.goto(`${project.url}#/chat/${PERSONA}`);
    const pane = page.getByRole('region', { name: 'replies from base' });
    await pane.getByRole('heading', { name: 'FDR · base model' }).waitFor();
    await watchStreaming(page);
    // One server-sent event per 20 ms: a fast reply cannot arrive in one network chunk and render at once.
    await page.evaluate(throttleChatStream(20));
    await page.getByRole('textbox', { name: 'Message' }).fill('Good morning, friends.');
    await page.getByRole('textbox', { name: 'Message' }).press('Enter');
    await pane.getByRole('button', { name: 'good reply' }).waitFor({ timeout: 30_000 });
    await page.evaluate(() => {
      window.fetch = (window as unknown as SlowWindow).__realFetch;
    });
    assert.ok((await streamedStates(page)) >= 2, 'the reply grew on screen while it was generated');
    await pane.getByRole('button', { name: 'good reply' }).click();
    await pane.locator('button[aria-label="good reply"][aria-pressed="true"]').waitFor();
    await shot('chat-base');
  });

  /** The newest run in the Past runs table, once it has finished: its version. */
  async function finishedRun(): Promise<string> {
    const run = page.getByRole('region', { name: 'Past runs' }).getByRole('row').nth(1);
    await run.getByRole('cell', { name: /^(promoted|kept)$/ }).waitFor({ timeout: 60_000 });
    const version = (await run.getByRole('cell').nth(2).innerText()).trim();
    assert.match(version, /^\d{8}-\d{6}/, 'the run names the version it trained');
    assert.match(await run.locator('td.gate').innerText(), /\w+/, "the gate's reason is shown");
    await page.getByText(/^Last run: (promoted|kept) — /).waitFor();
    return version;
  }
  const chartPoints = (atLeast: number) =>
    page.waitForFunction((n) => Number(document.querySelector<HTMLElement>('figure.chart')?.dataset.points) >= n, atLeast, { timeout: 60_000 });

  let first = '';
  await t.test("first run: the offer trains FDR, the live chart grows, the run shows the gate's decision, then before/after in the chat", async () => {
    await page.goto(`${project.url}#/personas/${PERSONA}`);
    await page.getByRole('button', { name: 'Train FDR now' }).click();
    await page.waitForURL(/#\/training\/tiny$/);
    await chartPoints(1);
    await page.getByText(/step \d+\/\d+ · loss \d+\.\d{4} · \d+ tokens\/s/).waitFor();
    await chartPoints(4);
    await page.locator('figure.chart canvas').first().waitFor();
    first = await finishedRun();
    await shot('training');

    await page.getByRole('link', { name: 'Compare before and after in Chat' }).click();
    await page.waitForURL(new RegExp(`#/chat/tiny/compare/${first}$`));
    const after = page.getByRole('region', { name: `replies from ${first}` });
    const before = page.getByRole('region', { name: 'replies from base' });
    await page.getByRole('textbox', { name: 'Message' }).fill('How is the weather by the lake?');
    await page.getByRole('button', { name: 'Send' }).click();
    await after.getByRole('button', { name: 'good reply' }).waitFor({ timeout: 30_000 });
    await before.getByRole('button', { name: 'good reply' }).waitFor({ timeout: 30_000 });
    await shot('chat-compare');
  });

  await t.test('a short run from the training form (max steps 3), then promote and roll back', async () => {
    await page.goto(`${project.url}#/training/${PERSONA}`);
    await page.getByRole('spinbutton', { name: 'Max steps' }).fill('3');
    await page.getByRole('button', { name: 'Start training' }).click();
    await page.getByText(/step \d\/3 · loss/).waitFor({ timeout: 60_000 });
    await page
      .getByText(/^Last run: (promoted|kept) — /)
      .or(page.getByText(/^Running: /))
      .first()
      .waitFor();
    await page.waitForFunction((v) => !document.querySelector('[aria-labelledby="runs-title"] tbody tr td:nth-child(3)')?.textContent?.includes(v), first, {
      timeout: 60_000,
    });
    const second = await finishedRun();
    assert.notEqual(second, first);
    await page.getByRole('region', { name: 'Past runs' }).getByRole('row').nth(1).getByRole('button').click();
    const curve = page.locator(`figure.chart:has([aria-label="loss curve of ${second}"])`);
    await curve.waitFor();
    assert.ok(Number(await curve.getAttribute('data-points')) >= 3, 'the past run shows its 3 steps');
    await page
      .getByRole('table', { name: `Evaluation of ${second}` })
      .getByRole('row', { name: /^validation loss \d+\.\d{4} \d+\.\d{4}$/ })
      .waitFor();

    const champion = page.locator('strong.champion');
    const registry = project.server.core.registry;
    if ((await registry.champion(PERSONA))?.version !== second) await page.getByRole('button', { name: `promote ${second}` }).click();
    await champion.getByText(second, { exact: true }).waitFor();
    assert.equal((await registry.champion(PERSONA))?.version, second);
    await page.getByRole('button', { name: 'Roll back' }).click();
    await page.getByRole('status').getByText('Rolled back.').waitFor();
    assert.match(confirmations.at(-1)!, new RegExp(`^Roll back ${second}\\? The previous champion`));
    const previous = (await registry.champion(PERSONA))?.version ?? 'base model';
    assert.notEqual(previous, second);
    await champion.getByText(previous, { exact: true }).waitFor();
    await page.getByRole('button', { name: `promote ${second}` }).click();
    await champion.getByText(second, { exact: true }).waitFor();
    assert.equal((await registry.champion(PERSONA))?.version, second);
    await page.getByRole('button', { name: `remove ${first}` }).click();
    await page.getByRole('status').getByText(`Removed ${first}.`).waitFor();
    assert.match(confirmations.at(-1)!, new RegExp(`^Remove ${first}\\? Its folder is deleted`));
    assert.ok(!(await registry.list(PERSONA)).some((v) => v.version === first), 'the removed version is gone from the registry');
    await shot('training-promoted');
  });

  await t.test('dataset: counts, histogram, samples and an export download', async () => {
    await page.goto(`${project.url}#/dataset/${PERSONA}`);
    await page.getByText('approved: 12').waitFor();
    await page.getByRole('heading', { name: 'Samples (12)' }).waitFor();
    await shot('dataset');
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'OpenAI JSONL' }).click()]);
    assert.match(download.suggestedFilename(), /^tiny-.+-all\.jsonl$/);
    const lines = readFileSync((await download.path())!, 'utf8')
      .trim()
      .split('\n');
    assert.equal(lines.length, 12, 'every approved sample is exported');
    assert.ok(lines.every((line) => Array.isArray(JSON.parse(line).messages)));
  });

  assert.deepEqual(problems, [], 'no errors in the page and no request leaves the studio');
});
