import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { ClientInfo } from '../client-info';

/**
 * The caller's IP (Fastify's `request.ip`: X-Forwarded-For only when TRUST_PROXY allows it) and user agent,
 * for the audit trail.
 */
export const Client = createParamDecorator((_: unknown, context: ExecutionContext): ClientInfo => {
  const request = context.switchToHttp().getRequest<FastifyRequest>();
  return { ip: request.ip ?? null, userAgent: request.headers['user-agent'] ?? null };
});
