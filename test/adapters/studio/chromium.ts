/**
 * Debian's Chromium driven by playwright-core, with a fresh profile in a temp folder. Outside
 * CI a machine without /usr/bin/chromium skips the browser tests with a loud message; in CI
 * (CI=true, where .ci/run installs it) a missing Chromium fails them.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { chromium, type BrowserContext } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

/** The browser, or undefined when the test was skipped because Chromium is missing. */
export async function openChromium(t: TestContext): Promise<Browser | undefined> {
  if (!existsSync(CHROMIUM)) {
    if (process.env.CI === 'true') throw new Error(`${CHROMIUM} is missing in CI: .ci/run must install Debian's chromium package.`);
    const banner = '!'.repeat(78);
    console.warn(
      `\n${banner}\n!! SKIPPING the Persona Studio browser tests: ${CHROMIUM} is not installed.\n!! Install it with: apt-get install -y chromium\n${banner}\n`,
    );
    t.skip(`${CHROMIUM} is not installed`);
    return undefined;
  }
  const profile = mkdtempSync(join(tmpdir(), 'studio-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
    viewport: { width: 1280, height: 860 },
    timeout: 30_000,
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
