import type { IncomingMessage, Server } from 'node:http';
import { type AddressInfo, type Socket, connect } from 'node:net';
import { SendRecordWriter } from '@app/verification';
import { withAdminClient } from './support/admin-sql';
import { eventually } from './support/eventually';
import { REFRESH, RESEND_CODE, SEND_CODE, VERIFY_CODE, login, sendCode, wrongCode } from './support/http-helpers';
import { openApi, recordedResponses } from './support/response-recorder';
import { createTestApp, nextIp, nextPhone, type TestApp } from './support/test-app';
import { createTestDatabase, type TestDatabase } from './support/test-database';
import { ADMIN_URL_VAR } from './support/test-env';

/**
 * The hot paths are one SQL function call each, and the calls of concurrent requests share statements (group
 * commit, StatementCoalescer). Under a mixed concurrent load the invariants of SPEC §3 and §7 still hold, no
 * deadlock happens (pg_stat_database.deadlocks, which also counts the deadlocks the coalescer's per-item retry
 * would hide behind a 200), and concurrent sends really share reservation statements (pg_stat_user_functions).
 *
 * A burst is fired truly at once: every request is written but its last byte, and once the server has read
 * all their headers, the last bytes go out in one loop, so the server takes them all up in the same turn of its
 * event loop (supertest's requests, made in this same process, trickle in one by one and barely overlap).
 *
 * Each test has its own database with `track_functions = 'all'` set on it before the app connects. Postgres
 * flushes a backend's statistics when it ends (before it leaves pg_stat_activity), so the figures are read
 * after the app has closed and its backends are gone: exact, without waiting for the idle flush.
 */

interface OwnApp {
  t: TestApp;
  database: TestDatabase;
  closed: boolean;
}

interface Statistics {
  deadlocks: number;
  /** calls per function of the hot paths (absent: never called). */
  calls: Record<string, number>;
}

async function start(env: Record<string, string>): Promise<OwnApp> {
  const database = await createTestDatabase();
  await withAdminClient(process.env[ADMIN_URL_VAR]!, (admin) =>
    admin.query(`ALTER DATABASE ${database.name} SET track_functions = 'all'`),
  );
  const t = await createTestApp({ database, env });
  await t.app.listen(0, '127.0.0.1');
  return { t, database, closed: false };
}

/** Closes the app, waits until its backends have ended (and so flushed their statistics), and reads them. */
async function stopAndReadStatistics(own: OwnApp): Promise<Statistics> {
  own.closed = true;
  await own.t.close();
  await withAdminClient(process.env[ADMIN_URL_VAR]!, (admin) =>
    eventually(async () => {
      const { rows } = await admin.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1',
        [own.database.name],
      );
      return rows[0].n === 0;
    }, "the app's connections to end"),
  );
  return withAdminClient(own.database.url, async (client) => {
    const deadlocks = await client.query<{ deadlocks: number }>(
      'SELECT deadlocks::int FROM pg_stat_database WHERE datname = current_database()',
    );
    const functions = await client.query<{ funcname: string; calls: number }>(
      "SELECT funcname, calls::int FROM pg_stat_user_functions WHERE funcname LIKE 'sms\\_auth\\_%'",
    );
    return {
      deadlocks: deadlocks.rows[0].deadlocks,
      calls: Object.fromEntries(functions.rows.map((row) => [row.funcname, row.calls])),
    };
  });
}

async function cleanUp(own: OwnApp | undefined): Promise<void> {
  if (!own) return;
  if (!own.closed) await own.t.close();
  await own.database.drop();
}

/** The statuses /docs-json documents for POST `path`. */
function documentedStatuses(path: string): number[] {
  const document = openApi.document as { paths: Record<string, { post: { responses: Record<string, unknown> } }> };
  return Object.keys(document.paths[path].post.responses).map(Number);
}

/** The session id (`sid`) an access token names. */
function sessionOf(accessToken: string): string {
  const payload = JSON.parse(Buffer.from(accessToken.split('.')[1], 'base64url').toString('utf8'));
  return payload.sid;
}

interface Reply {
  status: number;
  body: any;
}

/** Reads the answer of a `Connection: close` request, and records it for the OpenAPI check after the file. */
function readReply(socket: Socket, path: string): Promise<Reply> {
  const test = expect.getState().currentTestName;
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const split = text.indexOf('\r\n\r\n');
      const [statusLine, ...headerLines] = text.slice(0, split).split('\r\n');
      const headers = Object.fromEntries(
        headerLines.map((line) => [
          line.slice(0, line.indexOf(':')).toLowerCase(),
          line.slice(line.indexOf(':') + 1).trim(),
        ]),
      );
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(statusLine)?.[1]);
      const contentType = headers['content-type'];
      const body = contentType?.includes('json') ? JSON.parse(text.slice(split + 4)) : undefined;
      recordedResponses.push({ method: 'POST', path, status, contentType, headers, body, test });
      resolve({ status, body });
    });
  });
}

/** POSTs every request at once (see above); the replies in the requests' order. */
async function burst(t: TestApp, requests: { path: string; body: unknown }[]): Promise<Reply[]> {
  const server = t.app.getHttpServer() as Server;
  const { port } = server.address() as AddressInfo;
  const payloads = requests.map(({ path, body }) => {
    const json = JSON.stringify(body);
    return Buffer.from(
      `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${Buffer.byteLength(json)}\r\nX-Forwarded-For: ${nextIp()}\r\nConnection: close\r\n\r\n${json}`,
    );
  });
  const sockets = await Promise.all(
    payloads.map(
      () =>
        new Promise<Socket>((resolve, reject) => {
          const socket = connect(port, '127.0.0.1', () => resolve(socket));
          socket.once('error', reject);
        }),
    ),
  );
  // The requests of these sockets only (by the client's port).
  const ours = new Set(sockets.map((socket) => socket.localPort));
  let arrived = 0;
  const onRequest = (request: IncomingMessage) => {
    if (ours.has(request.socket.remotePort)) arrived += 1;
  };
  server.on('request', onRequest);
  try {
    const replies = sockets.map((socket, index) => readReply(socket, requests[index].path));
    sockets.forEach((socket, index) => socket.write(payloads[index].subarray(0, -1)));
    // 'request' is emitted once the headers are read: each body still misses its last byte.
    await eventually(() => arrived === requests.length, 'the server to have read every request but its last byte');
    sockets.forEach((socket, index) => socket.write(payloads[index].subarray(-1)));
    return await Promise.all(replies);
  } catch (error) {
    // Half-written requests would keep the server (and app.close()) waiting.
    for (const socket of sockets) socket.destroy();
    throw error;
  } finally {
    server.off('request', onRequest);
  }
}

function shuffled<T>(items: T[]): T[] {
  const copy = [...items];
  for (let index = copy.length - 1; index > 0; index--) {
    const other = Math.floor(Math.random() * (index + 1));
    [copy[index], copy[other]] = [copy[other], copy[index]];
  }
  return copy;
}

type Kind = 'send' | 'resend' | 'verify_right' | 'verify_wrong' | 'refresh';

interface Fired {
  phone: string;
  kind: Kind;
  path: string;
  body: unknown;
  /** The code a verify sent. */
  code?: string;
  res: Reply;
}

describe('hot paths: one function call each, shared by concurrent requests', () => {
  describe('mixed concurrent load', () => {
    const PHONES = 20;
    let own: OwnApp | undefined;
    afterAll(() => cleanUp(own));

    it('sends, resends, right and wrong verifies and refreshes at once: no 5xx, no deadlock, every invariant holds', async () => {
      // No cooldown, so that the burst's sends all reach the reservation; 4 sends an hour: the login's, the
      // pending code's and two of the burst's three; the third is refused. A grace window far wider than a slow
      // machine needs, so that every repeat refresh is a sibling.
      own = await start({
        RESEND_COOLDOWN_SECONDS: '0',
        PHONE_SEND_LIMIT_HOUR: '4',
        REFRESH_REUSE_GRACE_SECONDS: '60',
      });
      const { t } = own;
      const phones = Array.from({ length: PHONES }, () => nextPhone());

      // Before the burst: each phone logged in once (its refresh token), then a pending code (its right code).
      const before = await Promise.all(
        phones.map(async (phone) => {
          const session = await login(t, phone);
          const sent = await sendCode(t, phone, { ip: nextIp() });
          expect(sent.status).toBe(200);
          expect(sent.body.debug_code).toMatch(/^\d{6}$/);
          return {
            phone,
            refreshToken: session.refresh_token as string,
            sessionId: sessionOf(session.access_token),
            pendingId: sent.body.verification_id as string,
            code: sent.body.debug_code as string,
          };
        }),
      );
      const byPhone = new Map(before.map((entry) => [entry.phone, entry]));

      const plan: Omit<Fired, 'res'>[] = shuffled(
        before.flatMap(({ phone, code, refreshToken }) => [
          { phone, kind: 'send' as const, path: SEND_CODE, body: { phone_number: phone } },
          { phone, kind: 'resend' as const, path: RESEND_CODE, body: { phone_number: phone } },
          { phone, kind: 'send' as const, path: SEND_CODE, body: { phone_number: phone } },
          ...Array.from({ length: 3 }, () => ({
            phone,
            kind: 'verify_right' as const,
            path: VERIFY_CODE,
            body: { phone_number: phone, code },
            code,
          })),
          ...Array.from({ length: 2 }, () => ({
            phone,
            kind: 'verify_wrong' as const,
            path: VERIFY_CODE,
            body: { phone_number: phone, code: wrongCode(code) },
            code: wrongCode(code),
          })),
          ...Array.from({ length: 3 }, () => ({
            phone,
            kind: 'refresh' as const,
            path: REFRESH,
            body: { refresh_token: refreshToken },
          })),
        ]),
      );
      const replies = await burst(t, plan);
      const fired: Fired[] = plan.map((request, index) => ({ ...request, res: replies[index] }));
      await t.app.get(SendRecordWriter).settled();
      const of = (kind: Kind) => fired.filter((request) => request.kind === kind);
      const describeReply = ({ kind, phone, res }: Fired) =>
        `${kind} ${phone} → ${res.status} ${res.body?.error?.code}`;

      // No 5xx at all, and only statuses the API documents for each endpoint.
      expect(fired.filter(({ res }) => res.status >= 500).map(describeReply)).toEqual([]);
      for (const request of fired) expect(documentedStatuses(request.path)).toContain(request.res.status);

      // Sends: of each phone's three, two are reserved and one refused by the hourly cap (reservations of one
      // phone take turns under its lock and each sees the previous).
      for (const phone of phones) {
        const sends = fired.filter((request) => request.phone === phone && request.kind.endsWith('send'));
        expect(sends.map(({ res }) => res.status).sort()).toEqual([200, 200, 429]);
        const refused = sends.find(({ res }) => res.status === 429)!;
        expect(refused.res.body.error).toMatchObject({ code: 'RATE_LIMITED', limit: 'phone_hour' });
      }
      // Verifies: a right code logs in at most once; a wrong one never (unless it happens to be a code the
      // burst sent to that phone); the rest are the documented refusals.
      const burstCodes = new Set(
        of('send')
          .concat(of('resend'))
          .filter(({ res }) => res.status === 200)
          .map(({ phone, res }) => `${phone} ${res.body.debug_code}`),
      );
      for (const request of of('verify_wrong'))
        if (request.res.status === 200) expect(burstCodes).toContain(`${request.phone} ${request.code}`);
      const verifyRefusals = new Set(['400 CODE_INVALID', '404 NO_ACTIVE_CODE', '403 MAX_ATTEMPTS_REACHED']);
      for (const request of [...of('verify_right'), ...of('verify_wrong')].filter(({ res }) => res.status !== 200))
        expect(verifyRefusals).toContain(`${request.res.status} ${request.res.body.error.code}`);
      // Refreshes: within the grace window every one of them works (one rotation, two siblings per token).
      expect(
        of('refresh')
          .filter(({ res }) => res.status !== 200)
          .map(describeReply),
      ).toEqual([]);
      for (const { phone, res } of of('refresh'))
        expect(sessionOf(res.body.access_token)).toBe(byPhone.get(phone)!.sessionId);

      // At most one pending code per phone.
      const pending = await t.sql.query<{ phone_number: string; n: number }>(
        `SELECT phone_number, count(*)::int AS n FROM sms_verifications
          WHERE phone_number = ANY($1) AND status = 'pending' GROUP BY phone_number HAVING count(*) > 1`,
        [phones],
      );
      expect(pending.rows).toEqual([]);

      // Each approved code was approved once, by one code_verified (and one token_issued) event, and created
      // exactly one session, its own; no session exists that no approval created.
      const approved = await t.sql.query<{
        id: string;
        phone_number: string;
        verified: number;
        issued: number;
        session_id: string | null;
        session_user: string | null;
        user_id: string;
      }>(
        `SELECT v.id, v.phone_number, v.user_id,
                (SELECT count(*)::int FROM audit_events a WHERE a.verification_id = v.id AND a.type = 'code_verified') AS verified,
                (SELECT count(*)::int FROM audit_events a WHERE a.verification_id = v.id AND a.type = 'token_issued') AS issued,
                (SELECT min(a.session_id::text) FROM audit_events a WHERE a.verification_id = v.id AND a.type = 'code_verified') AS session_id,
                (SELECT s.user_id FROM sessions s JOIN audit_events a ON a.session_id = s.id
                  WHERE a.verification_id = v.id AND a.type = 'code_verified' LIMIT 1) AS session_user
           FROM sms_verifications v WHERE v.phone_number = ANY($1) AND v.status = 'approved'`,
        [phones],
      );
      for (const row of approved.rows) {
        expect({ verified: row.verified, issued: row.issued }).toEqual({ verified: 1, issued: 1 });
        expect(row.session_user).toBe(row.user_id);
      }
      const approvalSessions = approved.rows.map((row) => row.session_id);
      expect(new Set(approvalSessions).size).toBe(approved.rows.length);
      const sessions = await t.sql.query<{ id: string }>(
        'SELECT s.id FROM sessions s JOIN users u ON u.id = s.user_id WHERE u.phone_number = ANY($1)',
        [phones],
      );
      expect(sessions.rows.map((row) => row.id).sort()).toEqual([...approvalSessions].sort());
      // The logins before the burst and the burst's 200 verifies are those approvals, one each.
      const verified200 = [...of('verify_right'), ...of('verify_wrong')].filter(({ res }) => res.status === 200);
      expect(approved.rows).toHaveLength(PHONES + verified200.length);
      expect(
        [
          ...before.map((entry) => entry.sessionId),
          ...verified200.map(({ res }) => sessionOf(res.body.access_token)),
        ].sort(),
      ).toEqual([...approvalSessions].sort());
      for (const { phone } of verified200.filter(({ kind }) => kind === 'verify_right'))
        expect(approved.rows.map((row) => row.id)).toContain(byPhone.get(phone)!.pendingId);
      // The pending code of each phone logged in at most once, however many right answers raced for it.
      for (const phone of phones)
        expect(verified200.filter((request) => request.phone === phone).length).toBeLessThanOrEqual(1);
      const codeVerified = await t.sql.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM audit_events WHERE phone_number = ANY($1) AND type = 'code_verified'",
        [phones],
      );
      expect(codeVerified.rows[0].n).toBe(approved.rows.length);

      // Every 200 send: its code_requested event, and its record: the delivery row, the code's provider message
      // and one code_sent event.
      const sent200 = [...of('send'), ...of('resend')].filter(({ res }) => res.status === 200);
      expect(sent200).toHaveLength(2 * PHONES);
      const records = await t.sql.query<{
        id: string;
        request_id: string | null;
        requested: number;
        code_sent: number;
        deliveries: number;
        delivered_ids: string[];
      }>(
        `SELECT v.id, v.request_id,
                (SELECT count(*)::int FROM audit_events a WHERE a.verification_id = v.id AND a.type = 'code_requested') AS requested,
                (SELECT count(*)::int FROM audit_events a WHERE a.verification_id = v.id AND a.type = 'code_sent') AS code_sent,
                (SELECT count(*)::int FROM sms_deliveries d WHERE d.verification_id = v.id) AS deliveries,
                (SELECT coalesce(array_agg(d.provider_message_id), '{}') FROM sms_deliveries d WHERE d.verification_id = v.id) AS delivered_ids
           FROM sms_verifications v WHERE v.id = ANY($1)`,
        [sent200.map(({ res }) => res.body.verification_id)],
      );
      expect(records.rows).toHaveLength(sent200.length);
      const recordOf = new Map(records.rows.map((row) => [row.id, row]));
      for (const { res } of sent200) {
        expect(res.body.sms_id).toEqual(expect.any(String));
        expect(recordOf.get(res.body.verification_id)).toEqual({
          id: res.body.verification_id,
          request_id: res.body.sms_id,
          requested: 1,
          code_sent: 1,
          deliveries: 1,
          delivered_ids: [res.body.sms_id],
        });
      }
      // The refused send left its rate_limited event and no code.
      const limited = await t.sql.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM audit_events WHERE phone_number = ANY($1) AND type = 'rate_limited'",
        [phones],
      );
      expect(limited.rows[0].n).toBe(PHONES);

      // Every 200 refresh: its token_refreshed event.
      const refreshed = await t.sql.query<{ session_id: string; n: number }>(
        `SELECT session_id, count(*)::int AS n FROM audit_events
          WHERE session_id = ANY($1) AND type = 'token_refreshed' GROUP BY session_id`,
        [before.map((entry) => entry.sessionId)],
      );
      const refreshedBySession = new Map(refreshed.rows.map((row) => [row.session_id, row.n]));
      for (const { sessionId, phone } of before)
        expect(refreshedBySession.get(sessionId) ?? 0).toBe(
          of('refresh').filter((request) => request.phone === phone && request.res.status === 200).length,
        );

      // No deadlock anywhere, not even one the coalescer's per-item retry turned into a 200; every item ran
      // exactly once: 20 logins' + 20 pending codes' + 60 burst reservations, and 60 refreshes.
      const statistics = await stopAndReadStatistics(own);
      expect(statistics.deadlocks).toBe(0);
      expect(statistics.calls.sms_auth_reserve_send).toBe(5 * PHONES);
      expect(statistics.calls.sms_auth_refresh).toBe(3 * PHONES);
      // Each verify writes once, or more when a new code came in between its read and its write (STALE).
      expect(statistics.calls.sms_auth_verify_code).toBeGreaterThanOrEqual(PHONES + 5 * PHONES);
      // The burst really went in shared statements (else this test would not test them).
      expect(statistics.calls.sms_auth_reserve_sends).toBeLessThan(statistics.calls.sms_auth_reserve_send);
      expect(statistics.calls.sms_auth_verify_codes).toBeLessThan(statistics.calls.sms_auth_verify_code);
      expect(statistics.calls.sms_auth_refresh_tokens).toBeLessThan(statistics.calls.sms_auth_refresh);
    });
  });

  describe('coalescing', () => {
    const SENDS = 50;
    let own: OwnApp | undefined;
    afterAll(() => cleanUp(own));

    it('50 concurrent sends to 50 new phones share reservation statements: fewer calls than requests', async () => {
      own = await start({});
      const { t } = own;
      const phones = Array.from({ length: SENDS }, () => nextPhone());

      const replies = await burst(
        t,
        phones.map((phone) => ({ path: SEND_CODE, body: { phone_number: phone } })),
      );
      await t.app.get(SendRecordWriter).settled();

      expect(replies.filter((res) => res.status !== 200).map((res) => [res.status, res.body])).toEqual([]);
      const pending = await t.sql.query<{ n: number }>(
        "SELECT count(DISTINCT phone_number)::int AS n FROM sms_verifications WHERE phone_number = ANY($1) AND status = 'pending'",
        [phones],
      );
      expect(pending.rows[0].n).toBe(SENDS);

      const { calls, deadlocks } = await stopAndReadStatistics(own);
      // Each request's reservation ran exactly once, and they went in fewer statements than requests.
      expect(calls.sms_auth_reserve_send).toBe(SENDS);
      expect(calls.sms_auth_reserve_sends).toBeGreaterThanOrEqual(1);
      expect(calls.sms_auth_reserve_sends).toBeLessThan(SENDS);
      expect(deadlocks).toBe(0);
    });
  });

  // One bad item failing alone while its neighbours succeed (the per-item retry of a server-refused statement)
  // cannot be provoked cleanly through HTTP: every input is validated before it reaches SQL. The unit spec
  // (libs/database/src/statement-coalescer.spec.ts) covers it.
});
