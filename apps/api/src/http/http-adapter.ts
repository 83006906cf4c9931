import { FastifyAdapter } from '@nestjs/platform-fastify';
import type { Duplex } from 'node:stream';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { ErrorCode } from '@app/common';
import { handleClientError } from './client-error';
import { applySecurityHeaders } from './security-headers';
import { trustProxySetting } from './trust-proxy';

/** The largest request body accepted (JSON or urlencoded): 100 KB, larger ones are answered 413. */
export const BODY_LIMIT_BYTES = 100 * 1024;

/**
 * The Fastify server the app runs on (main.ts and the e2e tests). Its options keep what clients saw before
 * (Express on Node's defaults): routes match case-insensitively and with a trailing slash, path parameters
 * are not length-capped, Node's keep-alive and request timeouts, Node-level refusals answered in JSON.
 */
export function createHttpAdapter(trustProxy: string): FastifyAdapter {
  return new FastifyAdapter({
    trustProxy: trustProxySetting(trustProxy),
    bodyLimit: BODY_LIMIT_BYTES,
    clientErrorHandler: (error: Error, socket: Duplex) => handleClientError(error, socket),
    keepAliveTimeout: 5000,
    requestTimeout: 300_000,
    routerOptions: { caseSensitive: false, ignoreTrailingSlash: true, maxParamLength: 16 * 1024 },
    frameworkErrors: answerRoutingError,
  });
}

/**
 * What Fastify refuses while routing, before any hook or error handler can run: a URL whose percent-encoding
 * does not decode (Express refused it as `Failed to decode param`). Answered as DomainErrorFilter would,
 * 400 VALIDATION_FAILED, with the security headers; never with the URL, which may be anything.
 */
function answerRoutingError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 400;
  const message = 'The URL is not valid: a percent-encoded part does not decode';
  applySecurityHeaders(request, reply, () => {
    void reply
      .code(status)
      .type('application/json; charset=utf-8')
      .send({ success: false, error: { code: ErrorCode.ValidationFailed, message } });
  });
}
