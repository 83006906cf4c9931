import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Page } from 'playwright-core';
import { expectError, sendCode } from '../support/http-helpers';
import { createTestApp, numberInRange, type TestApp } from '../support/test-app';
import {
  cspEventsOf,
  type DashboardBrowser,
  openDashboardBrowser,
  recordCspEvents,
  signInToDashboard,
  testId,
  WAIT,
} from './browser-helpers';

/**
 * The dashboard's "Fraud guard" panel (SPEC §10) in a real (headless) Chromium against the real app: blocked
 * sends per rule and per country and the money not spent, from sends the guard refused through the public
 * API, and lifting a prefix block behind the confirmation dialog.
 */

const ADMIN_KEY = `dashboard-fraud-e2e-${randomBytes(12).toString('hex')}`;
const ip = (n: number): string => `198.51.100.${1 + n}`;

describe('admin dashboard: the fraud guard panel (browser)', () => {
  let t: TestApp;
  let browser: DashboardBrowser;
  let page: Page;

  beforeAll(async () => {
    t = await createTestApp({
      env: {
        ADMIN_API_KEY: ADMIN_KEY,
        FRAUD_GUARD: 'enforce',
        RESEND_COOLDOWN_SECONDS: '0',
        FRAUD_BREAKER_WINDOW: '3',
        FRAUD_BREAKER_MIN_CONVERSION: '0.5',
        FRAUD_PREFIX_LIMIT_HOUR: '2',
        FRAUD_COUNTRY_MIN_DAY: '100000',
        FRAUD_COUNTRY_MIN_HOUR: '100000',
        SMS_PRICES: 'console=0.5',
      },
    });
    // Rule 4 refuses 2 sends to +7701400…; three unverified sends (an hour apart for rule 4) trip the breaker
    // of +7701401…, which refuses the next one.
    for (let n = 0; n < 4; n++) await sendCode(t, numberInRange('+7701400', n), { ip: ip(n) });
    for (let n = 0; n < 3; n++) {
      await t.sql.query(`UPDATE fraud_subjects SET recent = '{}' WHERE scope = 'prefix'`);
      await sendCode(t, numberInRange('+7701401', n), { ip: ip(10 + n) });
    }
    expectError(await sendCode(t, numberInRange('+7701401', 3), { ip: ip(20) }), 429, 'SEND_BLOCKED');

    await t.app.listen(0, '127.0.0.1');
    const baseUrl = `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}`;
    browser = await openDashboardBrowser('sms-auth-dashboard-fraud-chromium-');
    page = browser.page;
    await recordCspEvents(page);
    await signInToDashboard(page, baseUrl, ADMIN_KEY);
  });

  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  const cells = (table: string) =>
    page.$$eval(`${testId(table)} tbody tr`, (rows) =>
      rows.map((row) => Array.from(row.querySelectorAll('td')).map((cell) => cell.textContent)),
    );

  it('shows blocked sends per rule and per country, the active block and the money not spent', async () => {
    expect(await cells('fraud-rules')).toEqual([
      ['Number range: burst', '2', '0'],
      ['Number range: breaker', '1', '0'],
    ]);
    expect(await cells('fraud-countries')).toEqual([['KZ', '3', '0']]);
    expect(await page.locator(testId('fraud-blocked')).textContent()).toBe('3 sends blocked');
    expect(await page.locator(testId('fraud-saved')).textContent()).toBe('1.50 USD not spent');
    expect(await page.locator(testId('fraud-active')).textContent()).toBe('1 active blocks');
    expect(await page.locator(`${testId('fraud-blocks')} li`).count()).toBe(1);
  });

  it('lifts a block after confirming, with the note in the audit trail; no CSP violation', async () => {
    await page.click(testId('lift-+7701401'));
    await page.waitForSelector(`${testId('confirm-dialog')}[open][data-action="lift"]`, WAIT);
    expect(await page.locator(testId('confirm-message')).textContent()).toContain('+7701401');
    await page.fill(testId('confirm-note'), 'a real campaign <b>ok</b>');
    await page.click(testId('confirm-ok'));
    await page.waitForSelector(`${testId('fraud-result')}[data-state="success"]`, WAIT);
    await page.waitForSelector(`${testId('dashboard')}[data-state="ready"]`, WAIT);
    expect(await page.locator(testId('fraud-result')).textContent()).toBe('Lifted the block of +7701401…');
    expect(await page.locator(testId('fraud-active')).textContent()).toBe('0 active blocks');

    const { rows } = await t.sql.query(`SELECT details FROM audit_events WHERE type = 'fraud_prefix_unblocked'`);
    expect(rows.map((row) => row.details.note)).toEqual(['a real campaign <b>ok</b>']);
    expect((await sendCode(t, numberInRange('+7701401', 4), { ip: ip(30) })).status).toBe(200);
    expect(await cspEventsOf(page)).toEqual([]);
  });
});
