import { Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { ThrottlerModule } from '@nestjs/throttler';
import { AuditModule } from '@app/audit';
import type { AppConfig } from '@app/config';
import { REDIS_CLIENT } from '@app/database';
import type Redis from 'ioredis';
import { Registry } from 'prom-client';
import { IpThrottlerGuard } from './ip-throttler.guard';
import { RedisFallbackThrottlerStorage } from './redis-fallback-throttler.storage';
import { SEND_THROTTLER, VERIFY_THROTTLER } from './throttler-names';

/**
 * Per-IP limits in Redis when REDIS_URL is set (shared by every instance), in memory otherwise. While
 * Redis is unavailable each instance counts in its own memory (RedisFallbackThrottlerStorage).
 */
@Module({
  imports: [
    AuditModule,
    ThrottlerModule.forRootAsync({
      inject: [ConfigService, REDIS_CLIENT, Registry],
      useFactory: (config: ConfigService<AppConfig, true>, redis: Redis | null, registry: Registry) => {
        const ttl = config.get('IP_LIMIT_WINDOW_SECONDS', { infer: true }) * 1000;
        return {
          throttlers: [
            { name: SEND_THROTTLER, ttl, limit: config.get('IP_SEND_LIMIT', { infer: true }) },
            { name: VERIFY_THROTTLER, ttl, limit: config.get('IP_VERIFY_LIMIT', { infer: true }) },
          ],
          // One bucket per throttler and IP, whatever the route: send-code and resend-code share theirs.
          generateKey: (_context, tracker, throttlerName) => `sms-auth:ip:${throttlerName}:${tracker}`,
          storage: redis ? new RedisFallbackThrottlerStorage(redis, registry) : undefined,
        };
      },
    }),
  ],
  providers: [IpThrottlerGuard],
  exports: [IpThrottlerGuard, ThrottlerModule],
})
export class ThrottlingModule {}
