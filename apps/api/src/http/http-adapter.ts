import { FastifyAdapter } from '@nestjs/platform-fastify';
import type { Duplex } from 'node:stream';
import { handleClientError } from './client-error';
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
  });
}
