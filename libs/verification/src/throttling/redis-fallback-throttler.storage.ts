import { Logger } from '@nestjs/common';
import { ThrottlerStorageService, type ThrottlerStorage } from '@nestjs/throttler';
import { ThrottlerStorageRedisService } from '@nest-lab/throttler-storage-redis';
import type Redis from 'ioredis';
import { Counter, Gauge, type Registry } from 'prom-client';

/** After a Redis command failed on a ready connection (a timeout), Redis is tried again after this long. */
export const REDIS_RETRY_AFTER_ERROR_MS = 1000;

export type ThrottlerBackend = 'redis' | 'memory';
type ThrottlerStorageRecord = Awaited<ReturnType<ThrottlerStorage['increment']>>;

/**
 * Per-IP counts in Redis while it answers, in this instance's memory while it does not. A request never
 * waits for Redis: when the client is not `ready` the memory storage answers at once; a command that
 * fails (the client has no offline queue and a short command timeout) is answered from memory too, and
 * Redis is skipped for REDIS_RETRY_AFTER_ERROR_MS after it. One warning when falling back, one info line
 * when counts are in Redis again. During an outage each instance enforces the limits on its own.
 */
export class RedisFallbackThrottlerStorage implements ThrottlerStorage {
  private readonly logger = new Logger('IpLimits');
  private readonly redisStorage: ThrottlerStorage;
  private readonly memoryStorage = new ThrottlerStorageService();
  private readonly memoryHits: Counter;
  private readonly fallbackGauge: Gauge;
  private fallingBack = false;
  private skipRedisUntil = 0;

  constructor(
    private readonly redis: Redis,
    registry: Registry,
    private readonly now: () => number = Date.now,
    redisStorage?: ThrottlerStorage,
  ) {
    this.redisStorage = redisStorage ?? new ThrottlerStorageRedisService(redis);
    this.memoryHits = new Counter({
      name: 'sms_auth_ip_limit_memory_hits_total',
      help: 'Per-IP limit checks counted in this instance memory because Redis was unavailable',
      registers: [registry],
    });
    this.fallbackGauge = new Gauge({
      name: 'sms_auth_ip_limit_fallback',
      help: '1 while per-IP limits are counted in memory (Redis unavailable), 0 while in Redis',
      registers: [registry],
    });
    this.fallbackGauge.set(0);
  }

  /** Where the last check was counted. */
  get backend(): ThrottlerBackend {
    return this.fallingBack ? 'memory' : 'redis';
  }

  async increment(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
    throttlerName: string,
  ): Promise<ThrottlerStorageRecord> {
    if (this.redis.status === 'ready' && this.now() >= this.skipRedisUntil) {
      try {
        const record = await this.redisStorage.increment(key, ttl, limit, blockDuration, throttlerName);
        this.recovered();
        return record;
      } catch (error) {
        this.skipRedisUntil = this.now() + REDIS_RETRY_AFTER_ERROR_MS;
        this.fallBack((error as Error).message);
      }
    } else {
      this.fallBack(`connection ${this.redis.status}`);
    }
    this.memoryHits.inc();
    return this.memoryStorage.increment(key, ttl, limit, blockDuration, throttlerName);
  }

  /** Stops the memory storage's sweep timer. */
  onApplicationShutdown(): void {
    this.memoryStorage.onApplicationShutdown();
  }

  private fallBack(reason: string): void {
    if (this.fallingBack) return;
    this.fallingBack = true;
    this.fallbackGauge.set(1);
    this.logger.warn(`Redis unavailable (${reason}): per-IP limits are counted in this instance's memory`);
  }

  private recovered(): void {
    if (!this.fallingBack) return;
    this.fallingBack = false;
    this.fallbackGauge.set(0);
    this.logger.log('Redis is back: per-IP limits are counted in Redis again');
  }
}
