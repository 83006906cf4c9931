import { randomInt } from 'node:crypto';
import { createTestApp, nextPhone, type TestApp } from './support/test-app';

/**
 * SPEC §3: per-IP limits with @nestjs/throttler — in Redis when REDIS_URL is set, so several instances
 * share the counts; in memory (per instance) otherwise. Two instances share one database here.
 */

const SEND = '/api/v1/sms-auth/send-code';
const LIMIT = 4;
const redisUrl = process.env.REDIS_URL;

/**
 * A client address no earlier run used (Redis keeps its counters for the whole window): an IPv6
 * unique-local address made of the current time and random bits.
 */
function freshIp(): string {
  const time = Date.now().toString(16).padStart(12, '0');
  const random = Array.from({ length: 4 }, () => randomInt(0x10000).toString(16));
  return ['fd00', time.slice(0, 4), time.slice(4, 8), time.slice(8, 12), ...random].join(':');
}

describe(`per-IP send limit across two instances (${redisUrl ? 'Redis' : 'in memory'})`, () => {
  let a: TestApp;
  let b: TestApp;

  beforeAll(async () => {
    const env: Record<string, string> = { IP_SEND_LIMIT: String(LIMIT), ...(redisUrl ? { REDIS_URL: redisUrl } : {}) };
    a = await createTestApp({ env });
    b = await createTestApp({ env, database: a.database });
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
  });

  const send = (app: TestApp, ip: string) =>
    app.http.post(SEND).set('X-Forwarded-For', ip).send({ phone_number: nextPhone() });

  it(
    redisUrl
      ? 'shares the count: 2 sends via A + 2 via B, then the 5th is refused'
      : 'counts per instance: 4 via A and 4 via B pass, the 5th via A is refused',
    async () => {
      const ip = freshIp();

      if (redisUrl) {
        for (const app of [a, a, b, b]) expect((await send(app, ip)).status).toBe(200);
        const fifthViaA = await send(a, ip);
        expect(fifthViaA.status).toBe(429);
        expect(fifthViaA.body).toMatchObject({ success: false, error: { code: 'RATE_LIMITED', limit: 'ip' } });
        expect(Number(fifthViaA.headers['retry-after'])).toBeGreaterThan(0);
        const sixthViaB = await send(b, ip);
        expect(sixthViaB.status).toBe(429);
        expect(sixthViaB.body.error.code).toBe('RATE_LIMITED');
      } else {
        for (let i = 0; i < LIMIT; i++) expect((await send(a, ip)).status).toBe(200);
        for (let i = 0; i < LIMIT; i++) expect((await send(b, ip)).status).toBe(200);
        const fifthViaA = await send(a, ip);
        expect(fifthViaA.status).toBe(429);
        expect(fifthViaA.body).toMatchObject({ success: false, error: { code: 'RATE_LIMITED', limit: 'ip' } });
        expect(Number(fifthViaA.headers['retry-after'])).toBeGreaterThan(0);
      }

      // Another address is not affected.
      expect((await send(a, freshIp())).status).toBe(200);
      // Each refusal is audited with the client's address, in the shared database.
      const { rows } = await a.sql.query(
        "SELECT count(*)::int AS n FROM audit_events WHERE type = 'rate_limited' AND ip = $1",
        [ip],
      );
      expect(rows[0].n).toBe(redisUrl ? 2 : 1);
    },
  );

  it('verify has its own bucket: sends used up do not block verify-code', async () => {
    const ip = freshIp();
    for (let i = 0; i < LIMIT; i++) await send(a, ip);
    const refused = await send(a, ip);
    expect(refused.status).toBe(429);
    const verify = await a.http
      .post('/api/v1/sms-auth/verify-code')
      .set('X-Forwarded-For', ip)
      .send({ phone_number: nextPhone(), code: '123456' });
    expect(verify.status).toBe(404);
    expect(verify.body.error.code).toBe('NO_ACTIVE_CODE');
  });

  it('/health/ready reports the database, and Redis up when configured', async () => {
    for (const app of [a, b]) {
      const ready = await app.http.get('/health/ready').expect(200);
      expect(ready.body).toMatchObject({ status: 'ok', info: { database: { status: 'up' } } });
      if (redisUrl) {
        expect(ready.body.info.redis).toEqual({ status: 'up' });
      } else {
        // Not configured: nothing to be down, and the report says so.
        expect(ready.body.info.redis).toMatchObject({ status: 'up', configured: false });
      }
    }
  });
});
