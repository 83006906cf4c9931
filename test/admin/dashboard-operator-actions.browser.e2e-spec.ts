import { randomBytes } from 'node:crypto';
import { mkdirSync, statSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import type { Response } from 'supertest';
import { ageCodes, expectError, login, ME, REFRESH, sendCode, verify, wrongCode } from '../support/http-helpers';
import { createTestApp, nextIp, nextPhone, type TestApp } from '../support/test-app';
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
 * The operators' actions in the dashboard's phone lookup (SPEC §7), driven in a real (headless) Chromium
 * against the real app and Postgres: the number's state, then Block / Unblock / Unlock / Revoke sessions,
 * each behind a confirmation dialog, checked through the public API (tokens refused, codes refused).
 */

const ADMIN_KEY = `dashboard-actions-e2e-${randomBytes(12).toString('hex')}`;
/** Wrong codes in 24 h before a lock: small, so that the test locks the phone through the public API. */
const MAX_FAILURES = 3;
const HOSTILE_NOTE = '<img src=x onerror="window.__xss=1"><b>fraud</b> ring #4821';
const OPERATOR_EVENTS = ['phone_blocked', 'phone_unblocked', 'phone_unlocked', 'user_sessions_revoked'];
const SCREENSHOTS = join(__dirname, '..', '..', 'test-results');

describe('admin dashboard: operator actions on a phone (browser)', () => {
  let t: TestApp;
  let baseUrl: string;
  let browser: DashboardBrowser;
  let page: Page;
  const phone = nextPhone();
  let userId: string;
  /** The two sessions the user signed in with before the block. */
  let before: { access_token: string; refresh_token: string }[] = [];
  /** Every admin API call of the page that is not a GET: `POST phones/…/block`, … */
  const actionCalls: string[] = [];
  /** The code sent once the phone was unblocked. */
  let unblockedCode: string;

  /** send-code from a fresh address, past the resend cooldown of the phone's earlier codes. */
  async function sendAfterCooldown(): Promise<Response> {
    await ageCodes(t, phone, '2 minutes');
    return sendCode(t, phone, { ip: nextIp() });
  }

  async function operatorEvents(): Promise<Record<string, number>> {
    const { rows } = await t.sql.query<{ type: string; n: number }>(
      `SELECT type, count(*)::int AS n FROM audit_events WHERE type = ANY($1) GROUP BY type`,
      [OPERATOR_EVENTS],
    );
    return Object.fromEntries(rows.map((row) => [row.type, row.n]));
  }

  const textOf = (id: string) => page.locator(testId(id)).first().textContent();

  async function search(value: string): Promise<void> {
    await page.fill(testId('phone-input'), value);
    await page.click(testId('phone-search'));
    await waitForLookup();
  }
  async function waitForLookup(): Promise<void> {
    await page.waitForSelector(`${testId('phone-status')}[data-state="ready"]`, WAIT);
    await page.waitForSelector(`${testId('history-verifications')}[data-state="ready"]`, WAIT);
    await page.waitForSelector(`${testId('history-audit')}[data-state="ready"]`, WAIT);
  }

  /** Clicks the action's button and waits for its dialog; returns the question it asks. */
  async function openDialog(action: string): Promise<string> {
    await page.click(testId(`action-${action}`));
    await page.waitForSelector(`${testId('confirm-dialog')}[open][data-action="${action}"]`, WAIT);
    return (await textOf('confirm-message'))!;
  }

  /** Confirms the open dialog (with a note, if any) and waits for the result and the refreshed lookup. */
  async function confirm(note?: string): Promise<string> {
    if (note !== undefined) await page.fill(testId('confirm-note'), note);
    await page.click(testId('confirm-ok'));
    await page.waitForSelector(`${testId('action-result')}:is([data-state="success"], [data-state="error"])`, WAIT);
    await waitForLookup();
    expect(await page.locator(`${testId('confirm-dialog')}[open]`).count()).toBe(0);
    return (await textOf('action-result'))!;
  }

  async function statusAttribute(name: string): Promise<string | null> {
    return page.locator(testId('phone-status')).getAttribute(name);
  }

  beforeAll(async () => {
    t = await createTestApp({
      env: {
        ADMIN_API_KEY: ADMIN_KEY,
        PHONE_MAX_FAILURES: String(MAX_FAILURES),
        // One number signs in again and again here (the cooldown doubles with each send of the hour).
        RESEND_COOLDOWN_SECONDS: '1',
        PHONE_SEND_LIMIT_HOUR: '100',
        PHONE_SEND_LIMIT_DAY: '100',
      },
    });
    await t.app.listen(0, '127.0.0.1');
    baseUrl = `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}`;

    // A user signed in twice: two active sessions.
    const first = await login(t, phone);
    await ageCodes(t, phone, '2 minutes');
    const second = await login(t, phone);
    userId = first.user.id;
    expect(second.user.id).toBe(userId);
    before = [first, second];

    browser = await openDashboardBrowser('sms-auth-dashboard-actions-chromium-');
    page = browser.page;
    page.on('request', (request) => {
      const path = new URL(request.url()).pathname;
      if (request.method() !== 'GET' && path.startsWith('/api/v1/admin/')) {
        actionCalls.push(`${request.method()} ${path.slice('/api/v1/admin/'.length)}`);
      }
    });
    await recordCspEvents(page);
    await signInToDashboard(page, baseUrl, ADMIN_KEY);
  });

  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it("shows the number's state after a search: not blocked, not locked, its user and 2 active sessions", async () => {
    // Typed in another format: the state (and every action) is of the E.164 number.
    await search(
      `${phone.slice(0, 2)} ${phone.slice(2, 5)} ${phone.slice(5, 8)}-${phone.slice(8, 10)}-${phone.slice(10)}`,
    );
    expect(await textOf('status-phone')).toBe(phone);
    expect(await statusAttribute('data-blocked')).toBe('false');
    expect(await statusAttribute('data-locked')).toBe('false');
    expect(await textOf('status-user-id')).toBe(userId);
    expect(await textOf('status-sessions')).toBe('2 active sessions');
    expect(await page.isDisabled(testId('action-unlock'))).toBe(true);
    expect(await page.isVisible(testId('action-block'))).toBe(true);
    expect(await page.isEnabled(testId('action-block'))).toBe(true);
    expect(await page.isVisible(testId('action-unblock'))).toBe(false);
    expect(await page.isEnabled(testId('action-revoke'))).toBe(true);
  });

  it('says "no user yet" for a number nobody signed in with, with nothing to revoke', async () => {
    const stranger = nextPhone();
    await search(stranger);
    expect(await textOf('status-phone')).toBe(stranger);
    expect(await textOf('status-user')).toBe('No user yet');
    expect(await page.isDisabled(testId('action-revoke'))).toBe(true);
    expect(await page.isDisabled(testId('action-unlock'))).toBe(true);
    expect(await page.isEnabled(testId('action-block'))).toBe(true);
  });

  it('Cancel and Escape change nothing: no call, no audit event, the sessions still work', async () => {
    await search(phone);
    const question = await openDialog('block');
    expect(question).toBe(`Block ${phone}? Codes will be refused and its 2 active sessions ended.`);
    // Keyboard first: the focus is on Cancel, the note field takes at most 500 characters.
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('confirm-cancel');
    expect(await page.getAttribute(testId('confirm-note'), 'maxlength')).toBe('500');
    await page.fill(testId('confirm-note'), 'not this time');
    await page.click(testId('confirm-cancel'));
    await page.waitForSelector(`${testId('confirm-dialog')}:not([open])`, { state: 'attached', ...WAIT });
    // The focus went back to the button that opened the dialog.
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('action-block');

    // Opened from the keyboard (Enter on the focused button), closed with Escape.
    await page.focus(testId('action-revoke'));
    await page.keyboard.press('Enter');
    await page.waitForSelector(`${testId('confirm-dialog')}[open][data-action="revoke"]`, WAIT);
    expect(await textOf('confirm-message')).toBe(
      `End the 2 active sessions of ${phone} (user ${userId})? Their access and refresh tokens stop working at once.`,
    );
    await page.keyboard.press('Escape');
    await page.waitForSelector(`${testId('confirm-dialog')}:not([open])`, { state: 'attached', ...WAIT });

    expect(await textOf('action-result')).toBe('');
    expect(actionCalls).toEqual([]);
    expect(await operatorEvents()).toEqual({});
    for (const session of before) {
      await t.http.get(ME).set('Authorization', `Bearer ${session.access_token}`).expect(200);
    }
    expect(await statusAttribute('data-blocked')).toBe('false');
  });

  it('Block with a note: the status shows it (HTML as text), the sessions end and codes are refused', async () => {
    expect(await openDialog('block')).toBe(`Block ${phone}? Codes will be refused and its 2 active sessions ended.`);
    await page.fill(testId('confirm-note'), HOSTILE_NOTE);
    mkdirSync(SCREENSHOTS, { recursive: true });
    await page.screenshot({ path: join(SCREENSHOTS, 'dashboard-confirm-block.png') });
    expect(await confirm()).toBe('Blocked. 2 sessions ended.');
    expect(await page.getAttribute(testId('action-result'), 'data-state')).toBe('success');

    expect(await statusAttribute('data-blocked')).toBe('true');
    expect(await textOf('status-blocked')).toMatch(/^blocked since \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC/);
    expect(await textOf('status-block-note')).toBe(HOSTILE_NOTE);
    expect(await textOf('status-sessions')).toBe('0 active sessions');
    expect(await page.isVisible(testId('action-block'))).toBe(false);
    expect(await page.isVisible(testId('action-unblock'))).toBe(true);
    expect(await page.isDisabled(testId('action-revoke'))).toBe(true);
    // The audit list was refreshed: the block is in it, with its note, as text too.
    const blockedRow = page.locator(`${testId('history-audit')} [data-testid="audit-row"][data-type="phone_blocked"]`);
    expect(await blockedRow.count()).toBe(1);
    expect(await blockedRow.textContent()).toContain(HOSTILE_NOTE);
    // Nothing of the note was parsed as HTML, nothing ran.
    expect(await page.locator('#phone-panel img, #phone-panel b, #history img, #history b').count()).toBe(0);
    expect(await page.evaluate(() => (window as unknown as { __xss?: unknown }).__xss)).toBeUndefined();
    const blockedShot = join(SCREENSHOTS, 'dashboard-phone-blocked.png');
    await page.locator('#phone-panel').screenshot({ path: blockedShot });
    expect(statSync(blockedShot).size).toBeGreaterThan(0);

    expect(actionCalls).toEqual([`POST phones/${encodeURIComponent(phone)}/block`]);
    const events = await operatorEvents();
    expect(events.phone_blocked).toBe(1);
    const { rows } = await t.sql.query(`SELECT details FROM audit_events WHERE type = 'phone_blocked'`);
    expect(rows[0].details.note).toBe(HOSTILE_NOTE);

    // Through the public API: the sessions' access tokens are refused, and so are codes.
    for (const session of before) {
      expectError(await t.http.get(ME).set('Authorization', `Bearer ${session.access_token}`), 401, 'UNAUTHORIZED');
    }
    expectError(await sendAfterCooldown(), 403, 'PHONE_BLOCKED');
  });

  it('Unblock: codes can be sent again', async () => {
    expect(await openDialog('unblock')).toBe(`Unblock ${phone}? Codes can be sent to it and checked again.`);
    expect(await confirm()).toBe('Unblocked. Codes can be sent again.');
    expect(await statusAttribute('data-blocked')).toBe('false');
    expect(await page.isVisible(testId('action-block'))).toBe(true);
    expect(await page.isVisible(testId('action-unblock'))).toBe(false);
    expect(actionCalls.slice(1)).toEqual([`DELETE phones/${encodeURIComponent(phone)}/block`]);
    expect((await operatorEvents()).phone_unblocked).toBe(1);

    const sent = await sendAfterCooldown();
    expect(sent.status).toBe(200);
    unblockedCode = sent.body.debug_code;
    expect(unblockedCode).toMatch(/^\d{6}$/);
  });

  it('Unlock: enabled once wrong codes locked the phone, and the lock ends', async () => {
    // The code sent after the unblock, answered wrong: the MAX_FAILURES-th wrong code locks the phone,
    // and then even the right code is refused.
    for (let attempt = 1; attempt < MAX_FAILURES; attempt += 1) {
      expectError(await verify(t, phone, wrongCode(unblockedCode), nextIp()), 400, 'CODE_INVALID');
    }
    expectError(await verify(t, phone, wrongCode(unblockedCode), nextIp()), 423, 'PHONE_LOCKED');
    expectError(await verify(t, phone, unblockedCode, nextIp()), 423, 'PHONE_LOCKED');

    await search(phone);
    expect(await statusAttribute('data-locked')).toBe('true');
    expect(await textOf('status-locked')).toMatch(/^locked until \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC$/);
    expect(await page.isEnabled(testId('action-unlock'))).toBe(true);

    const question = await openDialog('unlock');
    expect(question).toMatch(
      new RegExp(
        `^Unlock \\${phone}\\? Its lock \\(until .+ UTC\\) ends now and codes can be sent to it and checked again\\.$`,
      ),
    );
    expect(await confirm('ticket 77: the user mistyped')).toBe('Unlocked. Codes can be sent and checked again.');
    expect(await statusAttribute('data-locked')).toBe('false');
    expect(await page.isDisabled(testId('action-unlock'))).toBe(true);
    expect(actionCalls.slice(2)).toEqual([`POST phones/${encodeURIComponent(phone)}/unlock`]);
    expect((await operatorEvents()).phone_unlocked).toBe(1);

    // Codes are sent and checked again: a new sign-in, which the next test ends.
    const again = await sendAfterCooldown();
    expect(again.status).toBe(200);
    const signedIn = await verify(t, phone, again.body.debug_code, nextIp());
    expect(signedIn.status).toBe(200);
    before = [signedIn.body];
  });

  it('Revoke sessions: the count is shown, the refresh token is refused', async () => {
    await search(phone);
    expect(await textOf('status-sessions')).toBe('1 active session');
    expect(await openDialog('revoke')).toBe(
      `End the 1 active session of ${phone} (user ${userId})? Their access and refresh tokens stop working at once.`,
    );
    expect(await confirm()).toBe('1 session ended.');
    expect(await textOf('status-sessions')).toBe('0 active sessions');
    expect(await page.isDisabled(testId('action-revoke'))).toBe(true);
    expect(actionCalls.slice(3)).toEqual([`POST users/${userId}/revoke-sessions`]);
    expect((await operatorEvents()).user_sessions_revoked).toBe(1);

    const [session] = before;
    expectError(await t.http.post(REFRESH).send({ refresh_token: session.refresh_token }), 401, 'UNAUTHORIZED');
    expectError(await t.http.get(ME).set('Authorization', `Bearer ${session.access_token}`), 401, 'UNAUTHORIZED');
  });

  it("shows the API's error code and message when an action fails", async () => {
    // A new session, then the user is gone (deleted from the database) while the dialog is open.
    const sent = await sendAfterCooldown();
    expect((await verify(t, phone, sent.body.debug_code, nextIp())).status).toBe(200);
    await search(phone);
    expect(await textOf('status-sessions')).toBe('1 active session');
    await openDialog('revoke');
    await t.sql.query('DELETE FROM users WHERE id = $1', [userId]);
    const message = await confirm();
    expect(await page.getAttribute(testId('action-result'), 'data-state')).toBe('error');
    expect(message).toMatch(/^Revoke sessions failed: NOT_FOUND \(HTTP 404\): \S/);
    // The refreshed state: nobody signed in with this number any more.
    expect(await textOf('status-user')).toBe('No user yet');
    expect(await page.isVisible(testId('error-banner'))).toBe(false);
  });

  it('ran without script errors, CSP violations or files that failed to load', async () => {
    expect(await cspEventsOf(page)).toEqual([]);
    expect(browser.pageErrors).toEqual([]);
    expect(browser.cspViolations).toEqual([]);
    expect(browser.failedLoads).toEqual([]);
  });
});
