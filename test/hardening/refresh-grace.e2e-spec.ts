import type { AddressInfo } from 'node:net';
import { GRACE_SIBLING_LIMIT } from '../../libs/auth/src/auth.service';
import { hashRefreshToken } from '../../libs/auth/src/refresh-token-codec';
import { ageRefreshRotation } from '../support/http-helpers';
import { createTestApp, nextIp, nextPhone, type TestApp } from '../support/test-app';

/**
 * SPEC §7 grace window (issue 9, item 14): a refresh token presented again shortly after its rotation (a double
 * submit, two tabs, a retry after a lost response) gets a sibling pair of the same session, never a logout; after
 * REFRESH_REUSE_GRACE_SECONDS it is reuse and the whole session is revoked. Requests run truly in parallel over
 * one listening server; time is arranged by moving `used_at` back in SQL, never by sleeping.
 */

interface Reply {
  status: number;
  body: any;
}

interface Client {
  baseUrl: string;
  t: TestApp;
}

async function start(env: Record<string, string>): Promise<Client> {
  const t = await createTestApp({ env });
  await t.app.listen(0, '127.0.0.1');
  const { port } = t.app.getHttpServer().address() as AddressInfo;
  return { t, baseUrl: `http://127.0.0.1:${port}` };
}

async function post(c: Client, path: string, body: unknown): Promise<Reply> {
  const response = await fetch(`${c.baseUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-forwarded-for': nextIp() },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

const refresh = (c: Client, token: string) => post(c, '/api/v1/auth/refresh', { refresh_token: token });

async function me(c: Client, accessToken: string): Promise<Reply> {
  const response = await fetch(`${c.baseUrl}/api/v1/auth/me`, { headers: { authorization: `Bearer ${accessToken}` } });
  return { status: response.status, body: await response.json() };
}

interface Login {
  phone: string;
  refresh_token: string;
  access_token: string;
  user: { id: string };
  sessionId: string;
}

async function login(c: Client): Promise<Login> {
  const phone = nextPhone();
  const sent = await post(c, '/api/v1/sms-auth/send-code', { phone_number: phone });
  expect(sent.status).toBe(200);
  const verified = await post(c, '/api/v1/sms-auth/verify-code', { phone_number: phone, code: sent.body.debug_code });
  expect(verified.status).toBe(200);
  const { rows } = await c.t.sql.query('SELECT id FROM sessions WHERE user_id = $1', [verified.body.user.id]);
  expect(rows).toHaveLength(1);
  return { phone, ...verified.body, sessionId: rows[0].id };
}

async function sessionRow(c: Client, sessionId: string): Promise<{ revoked_at: Date | null; revoked_reason: string }> {
  const { rows } = await c.t.sql.query('SELECT revoked_at, revoked_reason FROM sessions WHERE id = $1', [sessionId]);
  return rows[0];
}

async function auditCounts(c: Client, sessionId: string): Promise<Record<string, number>> {
  const { rows } = await c.t.sql.query<{ type: string; grace: boolean; n: number }>(
    `SELECT type, coalesce((details->>'grace')::boolean, false) AS grace, count(*)::int AS n
       FROM audit_events WHERE session_id = $1 AND type <> 'code_verified' GROUP BY 1, 2`,
    [sessionId],
  );
  return Object.fromEntries(rows.map((row) => [row.grace ? `${row.type}(grace)` : row.type, row.n]));
}

function expectError(reply: Reply, status: number, code: string): void {
  expect({ status: reply.status, code: reply.body?.error?.code }).toEqual({ status, code });
  expect(reply.body.success).toBe(false);
}

describe('refresh grace window (SPEC §7)', () => {
  describe('REFRESH_REUSE_GRACE_SECONDS=60', () => {
    // A window far wider than the tests need, so a slow machine cannot push a repeat out of it.
    let c: Client;
    beforeAll(async () => {
      c = await start({ REFRESH_REUSE_GRACE_SECONDS: '60' });
    });
    afterAll(() => c?.t.close());

    it.each([2, 5, 20])(
      '%i parallel refreshes of one token: all 200 with working pairs of the same session, nothing revoked',
      async (n) => {
        const session = await login(c);

        const replies = await Promise.all(Array.from({ length: n }, () => refresh(c, session.refresh_token)));

        expect(replies.map((reply) => reply.status)).toEqual(Array(n).fill(200));
        const pairs = replies.map((reply) => reply.body as { refresh_token: string; access_token: string });
        const refreshTokens = new Set(pairs.map((pair) => pair.refresh_token));
        expect(refreshTokens.size).toBe(n);
        expect(refreshTokens.has(session.refresh_token)).toBe(false);
        expect(new Set(pairs.map((pair) => pair.access_token)).size).toBe(n);

        // One rotation, n - 1 siblings, all rows of the one session; no reuse detected.
        expect((await sessionRow(c, session.sessionId)).revoked_at).toBeNull();
        const { rows } = await c.t.sql.query(
          'SELECT count(*)::int AS n, count(used_at)::int AS used FROM refresh_tokens WHERE session_id = $1',
          [session.sessionId],
        );
        expect(rows[0]).toEqual({ n: n + 1, used: 1 });
        const sessionsOfUser = await c.t.sql.query('SELECT id FROM sessions WHERE user_id = $1', [session.user.id]);
        expect(sessionsOfUser.rows).toEqual([{ id: session.sessionId }]);
        expect(await auditCounts(c, session.sessionId)).toEqual({
          token_issued: 1,
          token_refreshed: 1,
          ...(n > 1 ? { 'token_refreshed(grace)': n - 1 } : {}),
        });

        // Every access token works, and every refresh token works once more, yielding working pairs again.
        for (const pair of pairs) {
          const who = await me(c, pair.access_token);
          expect(who.status).toBe(200);
          expect(who.body.user.id).toBe(session.user.id);
        }
        const again = await Promise.all(pairs.map((pair) => refresh(c, pair.refresh_token)));
        expect(again.map((reply) => reply.status)).toEqual(Array(n).fill(200));
        for (const reply of again) expect((await me(c, reply.body.access_token)).status).toBe(200);
        expect((await me(c, session.access_token)).status).toBe(200);
        expect((await sessionRow(c, session.sessionId)).revoked_at).toBeNull();
        expect(await auditCounts(c, session.sessionId)).not.toHaveProperty('refresh_reuse_detected');
      },
    );

    it('a repeat after the window: REFRESH_TOKEN_REUSED, the session with every sibling revoked, audited', async () => {
      const session = await login(c);
      const winner = await refresh(c, session.refresh_token);
      expect(winner.status).toBe(200);
      const usedAt = await c.t.sql.query('SELECT used_at FROM refresh_tokens WHERE token_hash = $1', [
        hashRefreshToken(session.refresh_token),
      ]);
      const sibling = await refresh(c, session.refresh_token);
      expect(sibling.status).toBe(200);
      expect(sibling.body.refresh_token).not.toBe(winner.body.refresh_token);
      // A repeat does not re-stamp the spent token: the window runs from the first rotation.
      const usedAtAfter = await c.t.sql.query('SELECT used_at FROM refresh_tokens WHERE token_hash = $1', [
        hashRefreshToken(session.refresh_token),
      ]);
      expect(usedAtAfter.rows).toEqual(usedAt.rows);

      await ageRefreshRotation(c.t, session.refresh_token, 61);
      expectError(await refresh(c, session.refresh_token), 401, 'REFRESH_TOKEN_REUSED');

      expect(await sessionRow(c, session.sessionId)).toEqual({
        revoked_at: expect.any(Date),
        revoked_reason: 'refresh_reuse',
      });
      for (const pair of [winner.body, sibling.body]) {
        expectError(await refresh(c, pair.refresh_token), 401, 'UNAUTHORIZED');
        expectError(await me(c, pair.access_token), 401, 'UNAUTHORIZED');
      }
      expectError(await me(c, session.access_token), 401, 'UNAUTHORIZED');
      expect(await auditCounts(c, session.sessionId)).toEqual({
        token_issued: 1,
        token_refreshed: 1,
        'token_refreshed(grace)': 1,
        refresh_reuse_detected: 1,
        session_revoked: 1,
      });
      const reuse = await c.t.sql.query(
        "SELECT outcome, phone_number, details FROM audit_events WHERE session_id = $1 AND type = 'refresh_reuse_detected'",
        [session.sessionId],
      );
      expect(reuse.rows).toEqual([
        { outcome: 'failure', phone_number: session.phone, details: { token_used_at: expect.any(String) } },
      ]);
      // No token in the audit trail.
      const trail = await c.t.sql.query('SELECT details FROM audit_events WHERE session_id = $1', [session.sessionId]);
      const text = JSON.stringify(trail.rows);
      for (const token of [session.refresh_token, winner.body.refresh_token, sibling.body.refresh_token])
        expect(text).not.toContain(token);
    });

    it('a sibling of a spent token never outlives its session', async () => {
      const session = await login(c);
      await c.t.sql.query("UPDATE sessions SET expires_at = now() + interval '1 hour' WHERE id = $1", [
        session.sessionId,
      ]);
      expect((await refresh(c, session.refresh_token)).status).toBe(200);
      expect((await refresh(c, session.refresh_token)).status).toBe(200);

      const { rows } = await c.t.sql.query(
        `SELECT count(*)::int AS n, bool_and(rt.expires_at <= s.expires_at) AS within
           FROM refresh_tokens rt JOIN sessions s ON s.id = rt.session_id
          WHERE rt.session_id = $1 AND rt.used_at IS NULL`,
        [session.sessionId],
      );
      expect(rows[0]).toEqual({ n: 2, within: true });
    });

    it(`at most ${GRACE_SIBLING_LIMIT} pairs per spent token in the window; one more repeat is reuse`, async () => {
      const session = await login(c);
      const replies: Reply[] = [];
      // The rotation, then siblings until the limit: one at a time, so the count is exact.
      for (let i = 0; i < GRACE_SIBLING_LIMIT; i += 1) replies.push(await refresh(c, session.refresh_token));
      expect(replies.map((reply) => reply.status)).toEqual(Array(GRACE_SIBLING_LIMIT).fill(200));
      expect((await sessionRow(c, session.sessionId)).revoked_at).toBeNull();

      expectError(await refresh(c, session.refresh_token), 401, 'REFRESH_TOKEN_REUSED');
      expect((await sessionRow(c, session.sessionId)).revoked_reason).toBe('refresh_reuse');
      expectError(await me(c, replies[0].body.access_token), 401, 'UNAUTHORIZED');
      const reuse = await c.t.sql.query(
        "SELECT details FROM audit_events WHERE session_id = $1 AND type = 'refresh_reuse_detected'",
        [session.sessionId],
      );
      expect(reuse.rows).toEqual([{ details: { token_used_at: expect.any(String), grace_exhausted: true } }]);
    });

    it('an unknown token, or a spent one of a logged-out session, gets no grace', async () => {
      const session = await login(c);
      const winner = await refresh(c, session.refresh_token);
      expect(winner.status).toBe(200);
      expectError(await refresh(c, 'x'.repeat(43)), 401, 'UNAUTHORIZED');
      expect((await post(c, '/api/v1/auth/logout', { refresh_token: winner.body.refresh_token })).status).toBe(200);
      // Spent seconds ago, but its session has ended: no sibling.
      expectError(await refresh(c, session.refresh_token), 401, 'UNAUTHORIZED');
      expect(await auditCounts(c, session.sessionId)).not.toHaveProperty(['token_refreshed(grace)']);
    });
  });

  describe('default REFRESH_REUSE_GRACE_SECONDS (10)', () => {
    let c: Client;
    beforeAll(async () => {
      c = await start({});
    });
    afterAll(() => c?.t.close());

    it('a token rotated 5 s ago gets a sibling; 11 s ago it is reuse', async () => {
      const session = await login(c);
      expect((await refresh(c, session.refresh_token)).status).toBe(200);

      await ageRefreshRotation(c.t, session.refresh_token, 5);
      const sibling = await refresh(c, session.refresh_token);
      expect(sibling.status).toBe(200);
      expect((await me(c, sibling.body.access_token)).status).toBe(200);

      await ageRefreshRotation(c.t, session.refresh_token, 6);
      expectError(await refresh(c, session.refresh_token), 401, 'REFRESH_TOKEN_REUSED');
      expectError(await refresh(c, sibling.body.refresh_token), 401, 'UNAUTHORIZED');
    });
  });

  describe('REFRESH_REUSE_GRACE_SECONDS=0 (window off)', () => {
    let c: Client;
    beforeAll(async () => {
      c = await start({ REFRESH_REUSE_GRACE_SECONDS: '0' });
    });
    afterAll(() => c?.t.close());

    it('an immediate repeat is reuse: the session, the winner pair included, is revoked', async () => {
      const session = await login(c);
      const winner = await refresh(c, session.refresh_token);
      expect(winner.status).toBe(200);

      expectError(await refresh(c, session.refresh_token), 401, 'REFRESH_TOKEN_REUSED');
      expect((await sessionRow(c, session.sessionId)).revoked_reason).toBe('refresh_reuse');
      expectError(await refresh(c, winner.body.refresh_token), 401, 'UNAUTHORIZED');
      expectError(await me(c, winner.body.access_token), 401, 'UNAUTHORIZED');
    });

    it('5 parallel refreshes: one pair, one REFRESH_TOKEN_REUSED that revokes it, the rest UNAUTHORIZED', async () => {
      const session = await login(c);
      const replies = await Promise.all(Array.from({ length: 5 }, () => refresh(c, session.refresh_token)));

      // The row lock serialises them: the first rotates, the next is reuse and revokes, the rest find it revoked.
      const winners = replies.filter((reply) => reply.status === 200);
      expect(winners).toHaveLength(1);
      const codes = replies.filter((reply) => reply.status !== 200).map((reply) => reply.body.error.code);
      expect(codes.sort()).toEqual(['REFRESH_TOKEN_REUSED', 'UNAUTHORIZED', 'UNAUTHORIZED', 'UNAUTHORIZED']);
      expect(replies.map((reply) => reply.status).sort()).toEqual([200, 401, 401, 401, 401]);
      expect((await sessionRow(c, session.sessionId)).revoked_reason).toBe('refresh_reuse');
      for (const winner of winners) expectError(await me(c, winner.body.access_token), 401, 'UNAUTHORIZED');
      expect(await auditCounts(c, session.sessionId)).not.toHaveProperty(['token_refreshed(grace)']);
    });
  });
});
