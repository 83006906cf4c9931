import { Global, Inject, Logger, Module, OnApplicationShutdown } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { AppConfig } from '@app/config';
import Redis, { type RedisOptions } from 'ioredis';

/** DI token: the shared ioredis client, or null when REDIS_URL is not set. */
export const REDIS_CLIENT = Symbol('REDIS_CLIENT');

/** A command Redis has not answered after this long fails, and its caller uses its fallback. */
export const REDIS_COMMAND_TIMEOUT_MS = 500;
/** Reconnection backoff: 100 ms, 200 ms, … at most this long between attempts, forever. */
export const REDIS_MAX_RECONNECT_DELAY_MS = 2000;

/** The delay before reconnection attempt `attempt` (1, 2, …): linear, bounded, never giving up. */
export function redisReconnectDelay(attempt: number): number {
  return Math.min(Math.max(1, attempt) * 100, REDIS_MAX_RECONNECT_DELAY_MS);
}

/**
 * Options for a client that never makes a request wait for Redis: a command sent while the connection
 * is not ready fails at once (no offline queue), a command in flight when the connection drops fails at
 * the drop (no retry), and an unanswered one fails after REDIS_COMMAND_TIMEOUT_MS. Callers (the per-IP
 * throttler storage) fall back to memory on such failures; the client reconnects in the background.
 */
export const REDIS_CLIENT_OPTIONS: RedisOptions = {
  enableOfflineQueue: false,
  maxRetriesPerRequest: 0,
  commandTimeout: REDIS_COMMAND_TIMEOUT_MS,
  connectTimeout: 2000,
  retryStrategy: redisReconnectDelay,
  enableAutoPipelining: true,
};

/**
 * A client with an `error` listener (without one, ioredis prints "Unhandled error event" for every failed
 * reconnection). Connection errors are not logged one by one: the users of the client report the outage
 * once (the throttler storage warns when it falls back, /health/ready shows Redis down).
 */
export function createRedisClient(url: string, options: RedisOptions = {}): Redis {
  const client = new Redis(url, { ...REDIS_CLIENT_OPTIONS, ...options });
  const logger = new Logger('Redis');
  client.on('error', (error: Error) => logger.debug(`Redis connection error: ${error.message}`));
  return client;
}

@Global()
@Module({
  providers: [
    {
      provide: REDIS_CLIENT,
      inject: [ConfigService],
      useFactory: (config: ConfigService<AppConfig, true>): Redis | null => {
        const url = config.get('REDIS_URL', { infer: true });
        return url ? createRedisClient(url) : null;
      },
    },
  ],
  exports: [REDIS_CLIENT],
})
export class RedisModule implements OnApplicationShutdown {
  constructor(@Inject(REDIS_CLIENT) private readonly redis: Redis | null) {}

  async onApplicationShutdown(): Promise<void> {
    // quit() needs a ready connection (no offline queue): while Redis is down, just drop the socket.
    if (this.redis?.status === 'ready') await this.redis.quit().catch(() => this.redis?.disconnect());
    else this.redis?.disconnect();
  }
}
