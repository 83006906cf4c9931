import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { FastifyRequest } from 'fastify';
import { constantTimeEqual, DomainError, ErrorCode } from '@app/common';
import type { AppConfig } from '@app/config';

/** The OpenAPI security scheme of the admin routes (registered in http/swagger.ts). */
export const ADMIN_KEY_SECURITY = 'admin-key';

/**
 * `Authorization: Bearer <ADMIN_API_KEY>`, compared in constant time.
 * Without ADMIN_API_KEY every admin call is refused.
 */
@Injectable()
export class AdminKeyGuard implements CanActivate {
  private readonly expected?: string;

  constructor(config: ConfigService<AppConfig, true>) {
    const key = config.get('ADMIN_API_KEY', { infer: true });
    this.expected = key || undefined;
  }

  canActivate(context: ExecutionContext): boolean {
    const header = context.switchToHttp().getRequest<FastifyRequest>().headers.authorization ?? '';
    const [scheme, presented] = header.split(' ');
    const valid =
      this.expected !== undefined &&
      scheme?.toLowerCase() === 'bearer' &&
      !!presented &&
      constantTimeEqual(presented, this.expected);
    if (!valid)
      throw new DomainError(
        ErrorCode.Unauthorized,
        'An admin API key is required (Authorization: Bearer <ADMIN_API_KEY>)',
      );
    return true;
  }
}
