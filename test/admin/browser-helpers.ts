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

/**
 * Records every securitypolicyviolation event of the pages `page` loads from now on, besides the console
 * messages openDashboardBrowser sees (the init script runs outside the page's CSP); read with cspEventsOf.
 */
export async function recordCspEvents(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const seen: string[] = [];
    (window as unknown as { __csp: string[] }).__csp = seen;
    document.addEventListener('securitypolicyviolation', (event) =>
      seen.push(`${event.violatedDirective} ${event.blockedURI}`),
    );
  });
}

export function cspEventsOf(page: Page): Promise<string[]> {
  return page.evaluate(() => (window as unknown as { __csp: string[] }).__csp);
}

/** Opens the dashboard at `baseUrl`, signs in with `key` and waits for its figures. */
export async function signInToDashboard(page: Page, baseUrl: string, key: string): Promise<void> {
  await page.goto(`${baseUrl}/admin`);
  await page.waitForSelector(testId('key-form'), { state: 'visible', ...WAIT });
  await page.fill(testId('key-input'), key);
  await page.click(`${testId('key-form')} button[type=submit]`);
  await page.waitForSelector(`${testId('dashboard')}[data-state="ready"]`, WAIT);
}
