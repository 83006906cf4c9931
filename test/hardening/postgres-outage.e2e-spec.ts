import { Logger } from '@nestjs/common';
import type { Response } from 'supertest';
import { ADMIN_API_KEY, STATS } from '../admin/admin-helpers';
import { eventually } from '../support/eventually';
import { expectError, login, ME, REFRESH, sendCode, verify } from '../support/http-helpers';
import { startPrivatePostgres, type PrivatePostgres } from '../support/private-servers';
import { createTestApp, nextPhone, type TestApp } from '../support/test-app';

/**
 * Issue 9, item 6: Postgres down or restarting. Every database-backed endpoint answers 503
 * SERVICE_UNAVAILABLE with Retry-After (not 500 INTERNAL), the log gets one warning when the outage starts
 * and one line when it ends (no stack per request), and the app recovers by itself once Postgres is back.
 * Runs on a Postgres cluster of its own, which it stops and starts (never the shared one).
 */

const OUTAGE_LINE = /^database unavailable: /;
const RECOVERY_LINE = /^database available again/;

/** Up to 30 s: the pool reconnects and the probe runs again once Postgres is back. */
const RECOVERY = { attempts: 300, intervalMs: 100 };

describe('Postgres outage: 503 SERVICE_UNAVAILABLE, one log line, recovery without a restart (e2e)', () => {
  let pg: PrivatePostgres;
  let t: TestApp;
  let warn: jest.SpyInstance;
  let info: jest.SpyInstance;
  let error: jest.SpyInstance;

  const lines = (spy: jest.SpyInstance, pattern: RegExp) =>
    spy.mock.calls.filter(([message]) => typeof message === 'string' && pattern.test(message)).length;

  beforeAll(async () => {
    warn = jest.spyOn(Logger.prototype, 'warn');
    info = jest.spyOn(Logger.prototype, 'log');
    error = jest.spyOn(Logger.prototype, 'error');
    pg = await startPrivatePostgres();
    t = await createTestApp({
      database: { url: pg.url, appUrl: pg.appUrl, name: 'sms_auth', drop: () => Promise.resolve() },
      env: { ADMIN_API_KEY },
    });
  });

  afterAll(async () => {
    jest.restoreAllMocks();
    await t?.close();
    await pg?.destroy();
  });

  it('answers 503 with Retry-After on every database-backed endpoint while Postgres is down, then recovers', async () => {
    // Before the outage: a signed-in user, and a code sent to a second phone, to use during and after it.
    const session = await login(t, nextPhone());
    const pendingPhone = nextPhone();
    const pending = await sendCode(t, pendingPhone);
    expect(pending.status).toBe(200);

    await pg.stop('fast');

    const calls: [string, () => Promise<Response>][] = [
      ['send-code', () => sendCode(t, nextPhone())],
      ['verify-code', () => verify(t, pendingPhone, pending.body.debug_code)],
      ['refresh', () => t.http.post(REFRESH).send({ refresh_token: session.refresh_token })],
      ['me', () => t.http.get(ME).set('Authorization', `Bearer ${session.access_token}`)],
      ['admin stats', () => t.http.get(STATS).set('Authorization', `Bearer ${ADMIN_API_KEY}`)],
    ];
    // Several rounds: the log must not grow with the number of failing requests.
    for (let round = 0; round < 3; round++) {
      for (const [name, call] of calls) {
        const res = await call();
        expectError(res, 503, 'SERVICE_UNAVAILABLE');
        expect([name, res.headers['retry-after']]).toEqual([name, expect.stringMatching(/^[1-9][0-9]*$/)]);
      }
    }
    const ready = await t.http.get('/health/ready');
    expectError(ready, 503, 'SERVICE_UNAVAILABLE');
    expect(Number(ready.headers['retry-after'])).toBeGreaterThan(0);

    expect(lines(warn, OUTAGE_LINE)).toBe(1);
    expect(error).not.toHaveBeenCalled();
    expect(lines(info, RECOVERY_LINE)).toBe(0);

    await pg.start();

    // The same app, not restarted: the pool reconnects, the probe logs the end of the outage.
    await eventually(async () => (await t.http.get('/health/ready')).status === 200, '/health/ready is 200', RECOVERY);
    await eventually(() => lines(info, RECOVERY_LINE) === 1, 'the recovery line is logged', RECOVERY);
    const verified = await verify(t, pendingPhone, pending.body.debug_code);
    expect(verified.status).toBe(200);
    expect((await sendCode(t, nextPhone())).status).toBe(200);
    const refreshed = await t.http.post(REFRESH).send({ refresh_token: session.refresh_token });
    expect(refreshed.status).toBe(200);
    const me = await t.http.get(ME).set('Authorization', `Bearer ${refreshed.body.access_token}`);
    expect(me.status).toBe(200);
    expect((await t.http.get(STATS).set('Authorization', `Bearer ${ADMIN_API_KEY}`)).status).toBe(200);

    expect(lines(warn, OUTAGE_LINE)).toBe(1);
    expect(lines(info, RECOVERY_LINE)).toBe(1);
    expect(error).not.toHaveBeenCalled();
  });

  it('logs a second outage again, once', async () => {
    await pg.stop('immediate');
    for (let attempt = 0; attempt < 3; attempt++)
      expectError(await sendCode(t, nextPhone()), 503, 'SERVICE_UNAVAILABLE');
    expect(lines(warn, OUTAGE_LINE)).toBe(2);
    await pg.start();
    await eventually(async () => (await sendCode(t, nextPhone())).status === 200, 'send-code succeeds again', RECOVERY);
    await eventually(() => lines(info, RECOVERY_LINE) === 2, 'the second recovery line is logged', RECOVERY);
    expect(error).not.toHaveBeenCalled();
  });
});
