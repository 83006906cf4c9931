import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';

/** Debian's Chromium (`apt-get install -y chromium`), driven headless by playwright-core. */
export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

export const WAIT = { timeout: 30_000 };

export const testId = (id: string) => `[data-testid="${id}"]`;

export interface DashboardBrowser {
  page: Page;
  /** Uncaught script errors on the page. */
  pageErrors: string[];
  /** Console messages about the Content-Security-Policy (a blocked inline script or style, …). */
  cspViolations: string[];
  /** The page's own files (not the admin API, whose errors may be part of a test) that did not load. */
  failedLoads: string[];
  close(): Promise<void>;
}

/** A fresh headless Chromium profile on UTC and en-US, recording what went wrong on its page. */
export async function openDashboardBrowser(prefix: string): Promise<DashboardBrowser> {
  const userDataDir = mkdtempSync(join(tmpdir(), prefix));
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 1366, height: 900 },
      timezoneId: 'UTC',
      locale: 'en-US',
    });
  } catch (error) {
    rmSync(userDataDir, { recursive: true, force: true });
    throw error;
  }
  const page = context.pages()[0] ?? (await context.newPage());
  const browser: DashboardBrowser = {
    page,
    pageErrors: [],
    cspViolations: [],
    failedLoads: [],
    close: async () => {
      await context.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
  page.on('pageerror', (error) => browser.pageErrors.push(String(error)));
  page.on('console', (message) => {
    if (/content security policy/i.test(message.text())) browser.cspViolations.push(message.text());
  });
  page.on('requestfailed', (request) => browser.failedLoads.push(`${request.url()} ${request.failure()?.errorText}`));
  page.on('response', (response) => {
    if (response.status() >= 400 && !response.url().includes('/api/v1/')) {
      browser.failedLoads.push(`${response.url()} ${response.status()}`);
    }
  });
  return browser;
}
