import { ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import {
  InjectThrottlerOptions,
  InjectThrottlerStorage,
  ThrottlerGuard,
  ThrottlerLimitDetail,
  type ThrottlerModuleOptions,
  type ThrottlerStorage,
} from '@nestjs/throttler';
import type { FastifyRequest } from 'fastify';
import { AuditEventType, AuditService } from '@app/audit';
import { DomainError, ErrorCode } from '@app/common';

/**
 * Per-IP limits of send and verify. The IP is Fastify's `request.ip`, which honours X-Forwarded-For only
 * when TRUST_PROXY is set. A refusal is audited and answered as RATE_LIMITED with Retry-After.
 */
@Injectable()
export class IpThrottlerGuard extends ThrottlerGuard {
  constructor(
    @InjectThrottlerOptions() options: ThrottlerModuleOptions,
    @InjectThrottlerStorage() storage: ThrottlerStorage,
    reflector: Reflector,
    private readonly audit: AuditService,
  ) {
    super(options, storage, reflector);
  }

  protected getTracker(request: FastifyRequest): Promise<string> {
    return Promise.resolve(request.ip ?? 'unknown');
  }

  protected async throwThrottlingException(context: ExecutionContext, detail: ThrottlerLimitDetail): Promise<void> {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const retryAfter = Math.max(1, detail.timeToBlockExpire || detail.timeToExpire);
    await this.audit
      .record({
        type: AuditEventType.RateLimited,
        outcome: 'failure',
        client: { ip: request.ip ?? null, userAgent: request.headers['user-agent'] ?? null },
        details: {
          limit: 'ip',
          route: request.url.split('?')[0],
          limit_per_window: detail.limit,
          window_seconds: Math.round(detail.ttl / 1000),
        },
      })
      .catch(() => undefined);
    throw new DomainError(
      ErrorCode.RateLimited,
      'Too many requests from this address; try again later',
      { retry_after: retryAfter, limit: 'ip' },
      retryAfter,
    );
  }
}
