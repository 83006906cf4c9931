import { Inject, Injectable } from '@nestjs/common';
import { type HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import { REDIS_CLIENT } from '@app/database';
import type Redis from 'ioredis';

/**
 * Redis as /health/ready reports it, from the client's connection state: no command is sent, so the
 * answer never waits for a Redis that does not answer. Redis down is not fatal (per-IP limits fall back
 * to memory), so it is marked `degraded: true` and the controller keeps the service ready.
 */
@Injectable()
export class RedisHealthIndicator {
  constructor(
    @Inject(REDIS_CLIENT) private readonly redis: Redis | null,
    private readonly indicators: HealthIndicatorService,
  ) {}

  check(key = 'redis'): HealthIndicatorResult {
    const indicator = this.indicators.check(key);
    if (!this.redis) return indicator.up({ configured: false });
    if (this.redis.status === 'ready') return indicator.up();
    return indicator.down({
      degraded: true,
      connection: this.redis.status,
      message: 'Redis unavailable: per-IP limits are counted in each instance memory',
    });
  }
}
