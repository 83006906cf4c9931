import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { ageCodes, RESEND_CODE, SEND_CODE, VERIFY_CODE, wrongCode } from '../support/http-helpers';
import { createTestApp, nextIp, nextPhone, type TestApp } from '../support/test-app';
import { CHROMIUM, CHROMIUM_ARGS, testId, WAIT } from './browser-helpers';

/**
 * The operators' dashboard at GET /admin, driven in a real (headless) Chromium against the real app:
 * the key form, the totals, the charts and the phone lookup, built from codes this test sends and
 * verifies through the public API.
 */

const ADMIN_KEY = `dashboard-e2e-${randomBytes(12).toString('hex')}`;
const XSS_USER_AGENT = '<img src=x onerror=window.__xss=1>';
const SCREENSHOT = join(__dirname, '..', '..', 'test-results', 'dashboard.png');

/** Codes sent through the public API, and how they ended. */
const sent = { requests: 0, verified: 0 };

async function send(
  t: TestApp,
  phone: string,
  options: { resend?: boolean; userAgent?: string } = {},
): Promise<string> {
  const req = t.http.post(options.resend ? RESEND_CODE : SEND_CODE).set('X-Forwarded-For', nextIp());
  if (options.userAgent) req.set('User-Agent', options.userAgent);
  const res = await req.send({ phone_number: phone, locale: 'en' });
  if (res.status !== 200) throw new Error(`send-code answered ${res.status}: ${JSON.stringify(res.body)}`);
  sent.requests += 1;
  return res.body.debug_code;
}

async function check(
  t: TestApp,
  phone: string,
  code: string,
  options: { userAgent?: string; expect: number },
): Promise<void> {
  const req = t.http.post(VERIFY_CODE).set('X-Forwarded-For', nextIp());
  if (options.userAgent) req.set('User-Agent', options.userAgent);
  const res = await req.send({ phone_number: phone, code });
  if (res.status !== options.expect) throw new Error(`verify-code answered ${res.status}: ${JSON.stringify(res.body)}`);
  if (res.status === 200) sent.verified += 1;
}

/** `+77011234567` → `+7 701 123 45 67`: the operator may type the number in any format. */
function spaced(phone: string): string {
  return `${phone.slice(0, 2)} ${phone.slice(2, 5)} ${phone.slice(5, 8)} ${phone.slice(8, 10)} ${phone.slice(10)}`;
}

describe('admin dashboard page (browser)', () => {
  let t: TestApp;
  let baseUrl: string;
  let userDataDir: string;
  let context: BrowserContext;
  let page: Page;
  const pageErrors: string[] = [];
  const cspViolations: string[] = [];
  /** The page's own files (not the admin API, whose 401s are part of the test) that did not load. */
  const failedLoads: string[] = [];

  const phones = { quick: nextPhone(), retried: nextPhone(), pending: nextPhone(), hostile: nextPhone() };

  beforeAll(async () => {
    t = await createTestApp({ env: { ADMIN_API_KEY: ADMIN_KEY } });
    await t.app.listen(0, '127.0.0.1');
    baseUrl = `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}`;

    // quick: sent and verified at once.
    await check(t, phones.quick, await send(t, phones.quick), { expect: 200 });
    // retried: a wrong code, a resend (which cancels the first code), then the right code.
    const first = await send(t, phones.retried);
    await check(t, phones.retried, wrongCode(first), { expect: 400 });
    await ageCodes(t, phones.retried, '2 minutes'); // past the resend cooldown, within the code's lifetime
    await check(t, phones.retried, await send(t, phones.retried, { resend: true }), { expect: 200 });
    // pending: sent, never verified.
    await send(t, phones.pending);
    // hostile: a user agent that is HTML, on the code and on a failed verification (so in the audit trail too).
    const hostile = await send(t, phones.hostile, { userAgent: XSS_USER_AGENT });
    await check(t, phones.hostile, wrongCode(hostile), { userAgent: XSS_USER_AGENT, expect: 400 });

    userDataDir = mkdtempSync(join(tmpdir(), 'sms-auth-dashboard-chromium-'));
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 1366, height: 900 },
      timezoneId: 'UTC',
      locale: 'en-US',
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.on('pageerror', (error) => pageErrors.push(String(error)));
    page.on('console', (message) => {
      if (/content security policy/i.test(message.text())) cspViolations.push(message.text());
    });
    page.on('requestfailed', (request) => failedLoads.push(`${request.url()} ${request.failure()?.errorText}`));
    page.on('response', (response) => {
      if (response.status() >= 400 && !response.url().includes('/api/v1/')) {
        failedLoads.push(`${response.url()} ${response.status()}`);
      }
    });
  });

  afterAll(async () => {
    await context?.close();
    if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
    await t?.close();
  });

  const textOf = (id: string) => page.locator(testId(id)).first().textContent();

  async function signIn(key: string): Promise<void> {
    await page.waitForSelector(testId('key-form'), { state: 'visible', ...WAIT });
    await page.fill(testId('key-input'), key);
    await page.click(`${testId('key-form')} button[type=submit]`);
  }

  async function search(phone: string): Promise<void> {
    await page.fill(testId('phone-input'), phone);
    await page.click(testId('phone-search'));
    await page.waitForSelector(`${testId('history-verifications')}[data-state="ready"]`, WAIT);
    await page.waitForSelector(`${testId('history-audit')}[data-state="ready"]`, WAIT);
    // The number's state (GET /admin/phones/:phone) beside its history: the actions are in their own spec.
    await page.waitForSelector(`${testId('phone-status')}[data-state="ready"]`, WAIT);
    expect(await page.isVisible(testId('error-banner'))).toBe(false);
  }

  it("serves the page at /admin and its files under /admin/, with a CSP of 'self' and no nonce", async () => {
    const html = await t.http.get('/admin').expect(200);
    expect(html.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(html.headers['cache-control']).toBe('no-store');
    const csp: string = html.headers['content-security-policy'];
    for (const directive of ["default-src 'none'", "script-src 'self'", "style-src 'self'", "frame-ancestors 'none'"]) {
      expect(csp.split('; ')).toContain(directive);
    }
    expect(csp).not.toMatch(/nonce|unsafe/);
    expect(html.text).toContain('<link rel="stylesheet" href="admin/dashboard.css" />');
    expect(html.text).toContain('<script type="module" src="admin/dashboard.js"></script>');

    const files = { 'dashboard.css': 'text/css', 'dashboard.js': 'text/javascript', 'charts.js': 'text/javascript' };
    for (const [name, type] of Object.entries(files)) {
      const res = await t.http.get(`/admin/${name}`).expect(200);
      expect(res.headers['content-type']).toBe(`${type}; charset=utf-8`);
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.text.length).toBeGreaterThan(0);
    }
    // Outside the API prefix, which the admin API keeps; nothing else in (or beside) the folder is served.
    await t.http.get('/api/v1/admin/dashboard.js').expect(404);
    await t.http.get('/api/v1/admin/stats').expect(401);
    for (const path of ['/admin/stats', '/admin/index.html', '/admin/..%2Fdashboard.controller.ts', '/admin/x.js']) {
      await t.http.get(path).expect(404);
    }
    // The files are named relative to /admin, so /admin/ is sent there.
    const slash = await t.http.get('/admin/?page_size=1').expect(301);
    expect(slash.headers.location).toBe('../admin?page_size=1');
  });

  it('asks for the admin key first', async () => {
    await page.goto(`${baseUrl}/admin/`);
    expect(page.url()).toBe(`${baseUrl}/admin`);
    await page.waitForSelector(testId('key-form'), { state: 'visible', ...WAIT }); // the module ran
    // The stylesheet applied: the page's background colour.
    expect(await page.evaluate(() => getComputedStyle(document.body).backgroundColor)).toBe('rgb(245, 246, 248)');
    expect(await page.isVisible(testId('key-input'))).toBe(true);
    expect(await page.isVisible(testId('dashboard'))).toBe(false);
  });

  it('shows an error and the key form again for a wrong key', async () => {
    await signIn(`${ADMIN_KEY}-wrong`);
    await page.waitForSelector(testId('error-banner'), { state: 'visible', ...WAIT });
    expect(await textOf('error-banner')).toMatch(/401|refused/i);
    await page.waitForSelector(testId('key-form'), { state: 'visible', ...WAIT });
    expect(await page.isVisible(testId('dashboard'))).toBe(false);
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
  });

  it('shows the totals of the codes sent and verified with the right key', async () => {
    await signIn(ADMIN_KEY);
    await page.waitForSelector(`${testId('dashboard')}[data-state="ready"]`, WAIT);
    expect(await page.isVisible(testId('error-banner'))).toBe(false);
    expect(sent).toEqual({ requests: 5, verified: 2 });
    expect(await textOf('kpi-requested')).toBe(String(sent.requests));
    expect(await textOf('kpi-verified')).toBe(String(sent.verified));
    expect(await textOf('kpi-conversion')).toBe('40.0%');
    const kpis = await page.locator(testId('kpis')).textContent();
    expect(kpis).not.toMatch(/NaN|Infinity|undefined|null/);
    // The key is kept for this tab only (sessionStorage).
    expect(await page.evaluate(() => sessionStorage.length)).toBe(1);
  });

  it('draws the daily chart as SVG bars adding up to the codes requested', async () => {
    const bars = page.locator(`${testId('chart-daily')} svg rect.bar`);
    expect(await bars.count()).toBeGreaterThanOrEqual(1);
    const requested = await page.$$eval(`${testId('chart-daily')} rect.bar[data-series="requested"]`, (rects) =>
      rects.reduce((sum, rect) => sum + Number(rect.getAttribute('data-value')), 0),
    );
    expect(requested).toBe(sent.requests);
  });

  it('shows conversion and delivery per vendor and per country', async () => {
    const vendor = page.locator(`${testId('chart-provider')} [data-testid="provider-row"][data-key="console"]`);
    await vendor.waitFor(WAIT);
    expect(await vendor.textContent()).toContain('console');
    const country = page.locator(`${testId('chart-country')} [data-testid="country-row"][data-key="KZ"]`);
    await country.waitFor(WAIT);
    expect(await country.textContent()).toContain('KZ');
    expect(await country.locator('[data-testid="conversion-meter"]').textContent()).toContain('40.0%');
    for (const id of ['chart-provider', 'chart-country', 'chart-daily']) {
      expect(await page.locator(testId(id)).textContent()).not.toMatch(/NaN|Infinity|undefined/);
    }
  });

  it('shows the channels: SMS only here, every code under sms and nothing saved against all-SMS', async () => {
    const rows = page.locator(`${testId('chart-channel')} [data-testid="channel-row"]`);
    await rows.first().waitFor(WAIT);
    expect(await rows.count()).toBe(1);
    const sms = page.locator(`${testId('chart-channel')} [data-testid="channel-row"][data-key="sms"]`);
    expect(await sms.locator(testId('channel-requested')).textContent()).toBe(String(sent.requests));
    expect(await sms.locator(testId('channel-conversion')).textContent()).toBe('40.0%');
    expect(await sms.locator(testId('channel-saved')).textContent()).toBe('0.00');
    expect(await textOf('channels-saved-total')).toBe('0.00');
    expect(await page.locator(testId('chart-channel')).textContent()).not.toMatch(/NaN|Infinity|undefined|null/);
  });

  it("shows a phone's codes and audit events, newest first", async () => {
    await search(spaced(phones.retried));
    const rows = page.locator(`${testId('history-verifications')} [data-testid="verification-row"]`);
    expect(await rows.count()).toBe(2);
    expect(await rows.nth(0).textContent()).toContain('approved');
    expect(await rows.nth(1).textContent()).toContain('canceled');
    expect(await rows.nth(0).textContent()).toContain(phones.retried);
    expect(await rows.nth(0).locator('[data-testid="delivery-row"]').count()).toBeGreaterThanOrEqual(1);

    const events = page.locator(`${testId('history-audit')} [data-testid="audit-row"]`);
    const types = await events.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-type')));
    expect(types).toEqual(expect.arrayContaining(['code_requested', 'code_verify_failed', 'code_verified']));
    const times = await events.evaluateAll((trs) => trs.map((tr) => tr.querySelector('td')!.getAttribute('title')!));
    expect(times.every((time) => !Number.isNaN(Date.parse(time)))).toBe(true);
    expect([...times].sort((a, b) => Date.parse(b) - Date.parse(a))).toEqual(times);
    expect(types.indexOf('code_verified')).toBeLessThan(types.lastIndexOf('code_verify_failed'));

    mkdirSync(join(SCREENSHOT, '..'), { recursive: true });
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect(statSync(SCREENSHOT).size).toBeGreaterThan(0);
  });

  it('shows text from users as text: an HTML user agent runs nothing', async () => {
    await search(phones.hostile);
    const agents = await page.locator(`#history [data-testid="user-agent"]`).allTextContents();
    expect(agents).toContain(XSS_USER_AGENT);
    expect(agents.filter((agent) => agent === XSS_USER_AGENT).length).toBeGreaterThanOrEqual(2); // the code and the failed verification
    expect(await page.locator('#history img').count()).toBe(0);
    expect(await page.evaluate(() => (window as unknown as { __xss?: unknown }).__xss)).toBeUndefined();
  });

  it('walks a long history page by page with "load more"', async () => {
    await page.goto(`${baseUrl}/admin?page_size=1`);
    await page.waitForSelector(`${testId('dashboard')}[data-state="ready"]`, WAIT); // the key was kept for this tab
    await search(phones.retried);
    const rows = page.locator(`${testId('history-verifications')} [data-testid="verification-row"]`);
    expect(await rows.count()).toBe(1);
    expect(await rows.nth(0).textContent()).toContain('approved');
    await page.click(testId('verifications-more'));
    await page.waitForSelector(
      `${testId('history-verifications')} [data-testid="verification-row"]:nth-of-type(2)`,
      WAIT,
    );
    expect(await rows.nth(1).textContent()).toContain('canceled');

    const events = page.locator(`${testId('history-audit')} [data-testid="audit-row"]`);
    expect(await events.count()).toBe(1);
    await page.click(testId('audit-more'));
    await page.waitForSelector(`${testId('history-audit')} tr[data-testid="audit-row"]:nth-of-type(2)`, WAIT);
    const [newer, older] = await events.evaluateAll((trs) =>
      trs.map((tr) => Date.parse(tr.querySelector('td')!.getAttribute('title')!)),
    );
    expect(newer).toBeGreaterThanOrEqual(older);
  });

  it('signs out: the key is forgotten and the data is gone', async () => {
    await page.click(testId('sign-out'));
    await page.waitForSelector(testId('key-form'), { state: 'visible', ...WAIT });
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
    expect(await textOf('kpi-requested')).toBe('—');
    expect(await page.locator('[data-testid="verification-row"]').count()).toBe(0);
    expect(await page.isVisible(testId('phone-panel'))).toBe(false);
    expect(await page.locator(`${testId('phone-status')} *`).count()).toBe(0);
  });

  it('ran without script errors, CSP violations or files that failed to load', () => {
    expect(pageErrors).toEqual([]);
    expect(cspViolations).toEqual([]);
    expect(failedLoads).toEqual([]);
  });
});
