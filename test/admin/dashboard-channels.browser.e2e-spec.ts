import type { AddressInfo } from 'node:net';
import type { Page } from 'playwright-core';
import { createChannelApp, type ChannelApp } from '../channels/channel-links';
import { SEND_CODE, verify } from '../support/http-helpers';
import { nextIp, nextPhone } from '../support/test-app';
import { ADMIN_API_KEY, adminGet, STATS } from './admin-helpers';
import { type DashboardBrowser, openDashboardBrowser, signInToDashboard, testId, WAIT } from './browser-helpers';

/**
 * The dashboard's Channels panel (GET /admin/stats?group_by=channel) in a real (headless) Chromium, with a
 * Telegram link in the chain: the in-test link of test/channels/channel-links.ts (a telegram-channel provider
 * bound to the `eskiz` entry of the default chain `eskiz, console`), stating 0.01 USD per code.
 * SMS_PRICES console=0.05: each telegram code saves 0.05 − 0.01 against all-SMS.
 */

describe('admin dashboard: channels panel (browser)', () => {
  let app: ChannelApp;
  let browser: DashboardBrowser;
  let page: Page;

  async function send(body: Record<string, unknown>, verifyIt: boolean): Promise<void> {
    const phone = nextPhone();
    const res = await app.t.http
      .post(SEND_CODE)
      .set('X-Forwarded-For', nextIp())
      .send({ phone_number: phone, ...body });
    if (res.status !== 200) throw new Error(`send-code answered ${res.status}: ${JSON.stringify(res.body)}`);
    if (verifyIt) expect((await verify(app.t, phone, res.body.debug_code, nextIp())).status).toBe(200);
  }

  beforeAll(async () => {
    app = await createChannelApp({ SMS_PRICES: 'console=0.05;telegram=0.02', SMS_PRICE_CURRENCY: 'USD' });
    app.telegram.cost = { amount: '0.01', currency: 'USD' };
    await send({ channel: 'telegram' }, true);
    await send({}, true);
    await send({ channel: 'telegram' }, false);
    await send({ channel: 'sms' }, true);

    await app.t.app.listen(0, '127.0.0.1');
    const baseUrl = `http://127.0.0.1:${(app.t.app.getHttpServer().address() as AddressInfo).port}`;
    browser = await openDashboardBrowser('sms-auth-dashboard-channels-chromium-');
    page = browser.page;
    await signInToDashboard(page, baseUrl, ADMIN_API_KEY);
  });
  afterAll(async () => {
    await browser?.close();
    await app?.t.close();
  });

  const row = (key: string) =>
    page.locator(`${testId('chart-channel')} [data-testid="channel-row"][data-key="${key}"]`);
  const cell = (key: string, id: string) => row(key).locator(testId(id)).textContent();

  it('shows codes, conversion, cost and the saving per channel, as the admin API states them', async () => {
    await row('telegram').waitFor(WAIT);
    expect(await page.locator(`${testId('chart-channel')} [data-testid="channel-row"]`).count()).toBe(2);
    // Telegram: 3 codes, 2 verified, 3 × 0.01 stated; saved 3 × 0.05 − 0.03.
    expect(await cell('telegram', 'channel-requested')).toBe('3');
    expect(await cell('telegram', 'channel-sent')).toBe('3');
    expect(await cell('telegram', 'channel-conversion')).toBe('66.7%');
    expect(await cell('telegram', 'channel-cost')).toBe('0.03 USD');
    expect(await cell('telegram', 'channel-cost-per-code')).toBe('0.01 USD');
    expect(await cell('telegram', 'channel-saved')).toBe('0.12 USD');
    // SMS: 1 code through console at SMS_PRICES 0.05; an SMS code saves nothing.
    expect(await cell('sms', 'channel-requested')).toBe('1');
    expect(await cell('sms', 'channel-conversion')).toBe('100.0%');
    expect(await cell('sms', 'channel-cost')).toBe('0.05 USD');
    expect(await cell('sms', 'channel-saved')).toBe('0.00 USD');
    expect(await page.locator(testId('channels-saved-total')).textContent()).toBe('0.12 USD');

    // The same figures the API gives (the page computes only the cost per sent code).
    const api = (await adminGet(app.t, STATS, { group_by: 'channel' }).expect(200)).body;
    expect(Number(api.totals.saved_vs_sms)).toBeCloseTo(0.12, 6);
    const telegram = api.groups.find((group: { key: string }) => group.key === 'telegram');
    expect(Number(telegram.estimated_cost)).toBeCloseTo(0.03, 6);
  });

  it('ran without script errors, CSP violations or files that failed to load', () => {
    expect(browser.pageErrors).toEqual([]);
    expect(browser.cspViolations).toEqual([]);
    expect(browser.failedLoads).toEqual([]);
  });
});
