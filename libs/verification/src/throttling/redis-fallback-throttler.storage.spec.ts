import { Logger } from '@nestjs/common';
import type Redis from 'ioredis';
import { Registry } from 'prom-client';
import { REDIS_RETRY_AFTER_ERROR_MS, RedisFallbackThrottlerStorage } from './redis-fallback-throttler.storage';

const TTL = 60_000;
const LIMIT = 2;

function createSut(status = 'ready') {
  const redis: { status: string } = { status };
  const redisStorage = {
    increment: jest.fn().mockResolvedValue({ totalHits: 1, timeToExpire: 60, isBlocked: false, timeToBlockExpire: 0 }),
  };
  let clock = 1_000_000;
  const registry = new Registry();
  const sut = new RedisFallbackThrottlerStorage(redis as unknown as Redis, registry, () => clock, redisStorage);
  const hit = (key = 'ip:1') => sut.increment(key, TTL, LIMIT, TTL, 'send');
  const advance = (ms: number) => (clock += ms);
  const metric = async (name: string) => (await registry.getSingleMetric(name)!.get()).values[0]?.value;
  return { sut, redis, redisStorage, hit, advance, metric };
}

describe(RedisFallbackThrottlerStorage.name, () => {
  let warn: jest.SpyInstance;
  let log: jest.SpyInstance;

  beforeEach(() => {
    warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    log = jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
  });
  afterEach(() => jest.restoreAllMocks());

  it('counts in Redis while the client is ready, and logs nothing', async () => {
    const { sut, redisStorage, hit, metric } = createSut();
    await expect(hit()).resolves.toMatchObject({ totalHits: 1 });
    expect(redisStorage.increment).toHaveBeenCalledWith('ip:1', TTL, LIMIT, TTL, 'send');
    expect(sut.backend).toBe('redis');
    expect(warn).not.toHaveBeenCalled();
    expect(await metric('sms_auth_ip_limit_fallback')).toBe(0);
    expect(await metric('sms_auth_ip_limit_memory_hits_total')).toBe(0);
  });

  it.each(['reconnecting', 'connecting', 'connect', 'close', 'end'])(
    'counts in memory at once, without calling Redis, while the client is "%s"',
    async (status) => {
      const { sut, redisStorage, hit, metric } = createSut(status);
      expect((await hit()).totalHits).toBe(1);
      expect((await hit()).totalHits).toBe(2);
      const third = await hit();
      // The limit is still enforced, by the memory storage.
      expect(third).toMatchObject({ totalHits: 3, isBlocked: true });
      expect((await hit('ip:2')).totalHits).toBe(1);
      expect(redisStorage.increment).not.toHaveBeenCalled();
      expect(sut.backend).toBe('memory');
      expect(await metric('sms_auth_ip_limit_memory_hits_total')).toBe(4);
      expect(await metric('sms_auth_ip_limit_fallback')).toBe(1);
    },
  );

  it('warns once per outage, however many requests it serves from memory', async () => {
    const { hit } = createSut('reconnecting');
    for (let i = 0; i < 5; i++) await hit(`ip:${i}`);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn.mock.calls[0][0]).toMatch(/Redis unavailable \(connection reconnecting\).*memory/);
  });

  it('answers from memory when a Redis command fails, and skips Redis for a while after it', async () => {
    const { redisStorage, hit, advance } = createSut();
    redisStorage.increment.mockRejectedValueOnce(new Error('Command timed out'));
    expect((await hit()).totalHits).toBe(1);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn.mock.calls[0][0]).toContain('Command timed out');

    // Within the pause Redis is not asked (a hung Redis would make each request wait for the timeout).
    advance(REDIS_RETRY_AFTER_ERROR_MS - 1);
    expect((await hit()).totalHits).toBe(2);
    expect(redisStorage.increment).toHaveBeenCalledTimes(1);

    advance(1);
    await hit();
    expect(redisStorage.increment).toHaveBeenCalledTimes(2);
  });

  it('goes back to Redis when the client is ready again, with one info line', async () => {
    const { sut, redis, redisStorage, hit, metric } = createSut('reconnecting');
    await hit();
    await hit();
    redis.status = 'ready';
    await hit();
    await hit();
    expect(redisStorage.increment).toHaveBeenCalledTimes(2);
    expect(sut.backend).toBe('redis');
    expect(log).toHaveBeenCalledTimes(1);
    expect(log.mock.calls[0][0]).toMatch(/Redis is back/);
    expect(await metric('sms_auth_ip_limit_fallback')).toBe(0);

    // A second outage is reported again.
    redis.status = 'reconnecting';
    await hit();
    expect(warn).toHaveBeenCalledTimes(2);
  });

  it('never rejects while Redis fails, so the guard never answers 500', async () => {
    const { redisStorage, hit, advance } = createSut();
    redisStorage.increment.mockRejectedValue(new Error('Connection is closed.'));
    for (let i = 0; i < 3; i++) {
      await expect(hit(`ip:${i}`)).resolves.toMatchObject({ totalHits: 1 });
      advance(REDIS_RETRY_AFTER_ERROR_MS);
    }
    expect(warn).toHaveBeenCalledTimes(1);
  });
});
