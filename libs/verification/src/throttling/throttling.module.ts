import { Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { ThrottlerModule } from '@nestjs/throttler';
import { ThrottlerStorageRedisService } from '@nest-lab/throttler-storage-redis';
import { AuditModule } from '@app/audit';
import type { AppConfig } from '@app/config';
import { REDIS_CLIENT } from '@app/database';
import type Redis from 'ioredis';
import { IpThrottlerGuard } from './ip-throttler.guard';
import { SEND_THROTTLER, VERIFY_THROTTLER } from './throttler-names';

/** Per-IP limits in Redis when REDIS_URL is set (shared by every instance), in memory otherwise. */
@Module({
  imports: [
    AuditModule,
    ThrottlerModule.forRootAsync({
      inject: [ConfigService, REDIS_CLIENT],
      useFactory: (config: ConfigService<AppConfig, true>, redis: Redis | null) => {
        const ttl = config.get('IP_LIMIT_WINDOW_SECONDS', { infer: true }) * 1000;
        return {
          throttlers: [
            { name: SEND_THROTTLER, ttl, limit: config.get('IP_SEND_LIMIT', { infer: true }) },
            { name: VERIFY_THROTTLER, ttl, limit: config.get('IP_VERIFY_LIMIT', { infer: true }) },
          ],
          // One bucket per throttler and IP, whatever the route: send-code and resend-code share theirs.
          generateKey: (_context, tracker, throttlerName) => `sms-auth:ip:${throttlerName}:${tracker}`,
          storage: redis ? new ThrottlerStorageRedisService(redis) : undefined,
        };
      },
    }),
  ],
  providers: [IpThrottlerGuard],
  exports: [IpThrottlerGuard, ThrottlerModule],
})
export class ThrottlingModule {}
