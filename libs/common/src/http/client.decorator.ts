import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import type { ClientInfo } from '../client-info';

/** The caller's IP (X-Forwarded-For only when TRUST_PROXY allows it) and user agent, for the audit trail. */
export const Client = createParamDecorator((_: unknown, context: ExecutionContext): ClientInfo => {
  const request = context.switchToHttp().getRequest<Request>();
  return { ip: request.ip ?? null, userAgent: request.get('user-agent') ?? null };
});
