import { randomInt } from 'node:crypto';
import { Logger } from '@nestjs/common';
import { eventually } from '../support/eventually';
import { sendCode, verify } from '../support/http-helpers';
import { startPrivateRedis, type PrivateRedis } from '../support/private-servers';
import { createTestApp, nextPhone, type TestApp } from '../support/test-app';

/**
 * Issue 9, item 8: Redis down. Per-IP limits fall back to each instance's memory at once (no request
 * waits for Redis), sends and verifies keep working, /health/ready stays ready and says Redis is
 * degraded; when Redis is back the counts are shared in Redis again. Runs on a Redis of its own,
 * which it stops and starts (never the shared one).
 */

const LIMIT = 3;
const FALLBACK_WARNING = /Redis unavailable.*per-IP limits are counted in this instance's memory/;
const RECOVERY_LINE = /Redis is back: per-IP limits are counted in Redis again/;

/** A client address no other test or run used (Redis keeps counts for the whole window). */
function freshIp(): string {
  return ['fd08', ...Array.from({ length: 7 }, () => randomInt(0x10000).toString(16))].join(':');
}

/** The value of an unlabelled metric on GET /metrics. */
async function metric(t: TestApp, name: string): Promise<number> {
  const text = (await t.http.get('/metrics').expect(200)).text;
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${name} `));
  if (!line) throw new Error(`no metric ${name}`);
  return Number(line.slice(name.length + 1));
}

const redisState = async (t: TestApp) => (await t.http.get('/health/ready')).body?.details?.redis?.status;

describe('Redis outage: per-IP limits fall back to memory and come back (e2e)', () => {
  let redis: PrivateRedis;
  let a: TestApp;
  let b: TestApp;
  let warn: jest.SpyInstance;
  let info: jest.SpyInstance;
  let consoleError: jest.SpyInstance;

  const lines = (spy: jest.SpyInstance, pattern: RegExp) =>
    spy.mock.calls.filter(([message]) => typeof message === 'string' && pattern.test(message)).length;

  beforeAll(async () => {
    warn = jest.spyOn(Logger.prototype, 'warn');
    info = jest.spyOn(Logger.prototype, 'log');
    consoleError = jest.spyOn(console, 'error');
    redis = await startPrivateRedis();
    const env = { REDIS_URL: redis.url, IP_SEND_LIMIT: String(LIMIT), IP_VERIFY_LIMIT: String(LIMIT) };
    a = await createTestApp({ env });
    b = await createTestApp({ env, database: a.database });
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
    await redis?.stop();
    jest.restoreAllMocks();
  });

  it('with Redis up: counts are shared by both instances and /health/ready shows Redis up', async () => {
    for (const t of [a, b]) {
      const ready = await t.http.get('/health/ready').expect(200);
      expect(ready.body).toMatchObject({ status: 'ok', info: { redis: { status: 'up' } } });
    }
    const ip = freshIp();
    for (const t of [a, b, a]) expect((await sendCode(t, nextPhone(), { ip })).status).toBe(200);
    expect((await sendCode(b, nextPhone(), { ip })).body.error.code).toBe('RATE_LIMITED');
    expect(await metric(a, 'sms_auth_ip_limit_memory_hits_total')).toBe(0);
    expect(lines(warn, FALLBACK_WARNING)).toBe(0);
  });

  it('with Redis down: /health/ready stays 200 and reports Redis down and degraded', async () => {
    await redis.stop();
    await eventually(async () => (await redisState(a)) === 'down', 'instance A sees Redis down');
    const ready = await a.http.get('/health/ready').expect(200);
    expect(ready.body).toMatchObject({
      status: 'ok',
      info: { database: { status: 'up' } },
      error: { redis: { status: 'down', degraded: true } },
      details: { database: { status: 'up' }, redis: { status: 'down', degraded: true } },
    });
    expect(ready.body.info.redis).toBeUndefined();
  });

  it('with Redis down: sends and verifies work, limits are enforced from memory, one warning', async () => {
    // Sequential sends from distinct addresses, each answered from memory (not after Redis gave up).
    for (let i = 0; i < 20; i++) expect((await sendCode(a, nextPhone(), { ip: freshIp() })).status).toBe(200);
    expect(await metric(a, 'sms_auth_ip_limit_memory_hits_total')).toBe(20);
    expect(await metric(a, 'sms_auth_ip_limit_fallback')).toBe(1);

    // The (limit+1)th send from one address is refused by the in-memory count.
    const ip = freshIp();
    for (let i = 0; i < LIMIT; i++) expect((await sendCode(a, nextPhone(), { ip })).status).toBe(200);
    const refused = await sendCode(a, nextPhone(), { ip });
    expect(refused.status).toBe(429);
    expect(refused.body).toMatchObject({ success: false, error: { code: 'RATE_LIMITED', limit: 'ip' } });
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);

    // A whole login works, and verify has its own in-memory bucket.
    const phone = nextPhone();
    const sent = await sendCode(a, phone, { ip: freshIp() });
    expect(sent.status).toBe(200);
    const verified = await verify(a, phone, sent.body.debug_code, ip);
    expect(verified.status).toBe(200);
    expect(verified.body).toMatchObject({ success: true, token_type: 'bearer', user: { phone_number: phone } });
    const verifyIp = freshIp();
    for (let i = 0; i < LIMIT; i++) expect((await verify(a, nextPhone(), '123456', verifyIp)).status).toBe(404);
    expect((await verify(a, nextPhone(), '123456', verifyIp)).body.error.code).toBe('RATE_LIMITED');

    // Each instance counts on its own during the outage: B has not seen this address yet.
    expect((await sendCode(b, nextPhone(), { ip })).status).toBe(200);

    // One warning per instance for the whole outage, and ioredis never printed an unhandled error.
    expect(lines(warn, FALLBACK_WARNING)).toBe(2);
    expect(consoleError.mock.calls.flat().join(' ')).not.toMatch(/Unhandled error event/);
  });

  it('with Redis back: counts are in Redis and shared again, with one recovery line per instance', async () => {
    await redis.start();
    for (const t of [a, b]) await eventually(async () => (await redisState(t)) === 'up', 'Redis is reconnected');
    const ready = await a.http.get('/health/ready').expect(200);
    expect(ready.body).toMatchObject({ status: 'ok', info: { redis: { status: 'up' } }, error: {} });

    const memoryHits = await metric(a, 'sms_auth_ip_limit_memory_hits_total');
    const ip = freshIp();
    for (const t of [a, b, a]) expect((await sendCode(t, nextPhone(), { ip })).status).toBe(200);
    const refused = await sendCode(b, nextPhone(), { ip });
    expect(refused.status).toBe(429);
    expect(refused.body.error.code).toBe('RATE_LIMITED');
    expect((await sendCode(a, nextPhone(), { ip })).status).toBe(429);

    expect(await metric(a, 'sms_auth_ip_limit_memory_hits_total')).toBe(memoryHits);
    expect(await metric(a, 'sms_auth_ip_limit_fallback')).toBe(0);
    expect(lines(info, RECOVERY_LINE)).toBe(2);
    expect(lines(warn, FALLBACK_WARNING)).toBe(2);
  });
});
