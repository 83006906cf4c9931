import { Logger } from '@nestjs/common';
import {
  createRedisClient,
  REDIS_CLIENT_OPTIONS,
  REDIS_MAX_RECONNECT_DELAY_MS,
  redisReconnectDelay,
} from './redis.module';

describe('Redis client options', () => {
  it('never queues a command while disconnected nor retries one, and bounds each command', () => {
    expect(REDIS_CLIENT_OPTIONS).toMatchObject({ enableOfflineQueue: false, maxRetriesPerRequest: 0 });
    expect(REDIS_CLIENT_OPTIONS.commandTimeout).toBeGreaterThan(0);
  });

  it('reconnects forever with a growing, bounded delay', () => {
    expect(redisReconnectDelay(1)).toBe(100);
    expect(redisReconnectDelay(2)).toBe(200);
    expect(redisReconnectDelay(1000)).toBe(REDIS_MAX_RECONNECT_DELAY_MS);
    expect(REDIS_CLIENT_OPTIONS.retryStrategy).toBe(redisReconnectDelay);
  });

  it('gives every client an error listener (no "Unhandled error event")', () => {
    jest.spyOn(Logger.prototype, 'debug').mockImplementation(() => undefined);
    const client = createRedisClient('redis://127.0.0.1:1', { lazyConnect: true });
    try {
      expect(client.listenerCount('error')).toBe(1);
      // Emitting an error with a listener does not throw.
      expect(() => client.emit('error', new Error('connect ECONNREFUSED'))).not.toThrow();
    } finally {
      client.disconnect();
      jest.restoreAllMocks();
    }
  });
});
