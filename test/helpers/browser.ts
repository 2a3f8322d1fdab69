import {existsSync, mkdirSync, mkdtempSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {fileURLToPath} from 'node:url';
import type {TestContext} from 'node:test';
import {type BrowserContext, chromium, type Page} from 'playwright-core';

/** Debian's chromium (`apt-get install -y chromium`); Playwright's own browser download cannot work here. */
export const CHROMIUM = process.env['BOOKS_TEST_CHROMIUM'] || '/usr/bin/chromium';

// Without the background-networking flags the machine refuses chromium's connections.
const ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Screenshots of the page, kept after the run (gitignored). */
export const ARTIFACTS_DIR = fileURLToPath(new URL('../../../test-artifacts/', import.meta.url));

/**
 * Why the browser tests cannot run here, or undefined when they can. In CI
 * a missing chromium is a failure, not a skip.
 */
export function browserSkipReason(): string | undefined {
  if (existsSync(CHROMIUM)) return undefined;
  const reason = `browser tests: no chromium at ${CHROMIUM} (apt-get install -y chromium)`;
  if (process.env['CI'] === 'true') throw new Error(`${reason}, and CI must run them`);
  return reason;
}

let shared: Promise<{context: BrowserContext; close(): Promise<void>}> | undefined;

/**
 * One headless chromium per test file, with a profile of its own, launched
 * on first use: a launch costs more than a test's page. `closeBrowser()` in
 * the file's `after` closes it and removes its profile.
 */
function browser(): Promise<{context: BrowserContext; close(): Promise<void>}> {
  shared ??= (async () => {
    const profile = mkdtempSync(join(tmpdir(), 'books-chromium-'));
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      args: ARGS,
      headless: true,
      viewport: {width: 1000, height: 800},
    });
    return {
      context,
      async close() {
        await context.close();
        rmSync(profile, {recursive: true, force: true});
      },
    };
  })();
  return shared;
}

/** Closes the file's browser, if one was launched. */
export async function closeBrowser(): Promise<void> {
  const launched = shared;
  shared = undefined;
  await (await launched)?.close();
}

/**
 * A new page (tab) of the file's browser showing `url`, closed after the
 * test. Messages the page logs as errors are kept in `errors`.
 */
export async function openPage(t: TestContext, url: string): Promise<{page: Page; errors: string[]}> {
  const {context} = await browser();
  const page = await context.newPage();
  t.after(() => page.close());
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(String(error)));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  await page.goto(url);
  return {page, errors};
}

/** Saves a screenshot of the page as test-artifacts/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS_DIR, {recursive: true});
  const path = join(ARTIFACTS_DIR, `${name}.png`);
  await page.screenshot({path, fullPage: true});
  return path;
}
