import { createHash } from 'node:crypto';

/**
 * The inside of the weak ETag Express gave every body (the `etag` package: `W/"<length, hex>-<SHA-1,
 * base64, 27 characters>"`), for @fastify/etag (which adds `W/"…"`), so that caches keep their validators.
 */
export function expressEtag(payload: string | Buffer): string {
  const hash = createHash('sha1').update(payload).digest('base64').substring(0, 27);
  return `${Buffer.byteLength(payload).toString(16)}-${hash}`;
}
