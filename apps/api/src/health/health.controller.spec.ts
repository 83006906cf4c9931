import { ServiceUnavailableException } from '@nestjs/common';
import { type HealthCheckResult, type HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import type { TypeOrmHealthIndicator } from '@nestjs/terminus';
import type Redis from 'ioredis';
import { HealthController } from './health.controller';
import { RedisHealthIndicator } from './redis.health';

const DATABASE_UP: HealthCheckResult = {
  status: 'ok',
  info: { database: { status: 'up' } },
  error: {},
  details: { database: { status: 'up' } },
};
const DATABASE_DOWN: HealthCheckResult = {
  status: 'error',
  info: {},
  error: { database: { status: 'down' } },
  details: { database: { status: 'down' } },
};

function createSut(redisStatus: string | null, check: () => Promise<HealthCheckResult>) {
  const redis = redisStatus === null ? null : ({ status: redisStatus } as unknown as Redis);
  const health = { check: jest.fn(check) } as unknown as HealthCheckService;
  const database = { pingCheck: jest.fn() } as unknown as TypeOrmHealthIndicator;
  return new HealthController(health, database, new RedisHealthIndicator(redis, new HealthIndicatorService()));
}

describe(HealthController.name, () => {
  it('is ready with Redis up: Redis listed under info', async () => {
    const result = await createSut('ready', () => Promise.resolve(DATABASE_UP)).ready();
    expect(result).toEqual({
      status: 'ok',
      info: { database: { status: 'up' }, redis: { status: 'up' } },
      error: {},
      details: { database: { status: 'up' }, redis: { status: 'up' } },
    });
  });

  it.each(['reconnecting', 'connecting', 'end'])(
    'stays ready with Redis "%s": Redis down and degraded under error and details',
    async (status) => {
      const result = await createSut(status, () => Promise.resolve(DATABASE_UP)).ready();
      const redis = { status: 'down', degraded: true, connection: status, message: expect.any(String) };
      expect(result).toEqual({
        status: 'ok',
        info: { database: { status: 'up' } },
        error: { redis },
        details: { database: { status: 'up' }, redis },
      });
    },
  );

  it('reports Redis as not configured (up) without REDIS_URL', async () => {
    const result = await createSut(null, () => Promise.resolve(DATABASE_UP)).ready();
    expect(result.info?.redis).toEqual({ status: 'up', configured: false });
  });

  it('is not ready with the database down, and the 503 still shows Redis', async () => {
    const sut = createSut('reconnecting', () => Promise.reject(new ServiceUnavailableException(DATABASE_DOWN)));
    const error: unknown = await sut.ready().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ServiceUnavailableException);
    expect((error as ServiceUnavailableException).getResponse()).toMatchObject({
      status: 'error',
      error: { database: { status: 'down' }, redis: { status: 'down', degraded: true } },
      details: { database: { status: 'down' }, redis: { status: 'down' } },
    });
  });

  it('lets an unexpected error through unchanged', async () => {
    const boom = new Error('boom');
    await expect(createSut('ready', () => Promise.reject(boom)).ready()).rejects.toBe(boom);
  });
});
