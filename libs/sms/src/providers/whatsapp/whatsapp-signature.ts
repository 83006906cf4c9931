import { createHmac } from 'node:crypto';
import { constantTimeEqual } from '@app/common';

const PREFIX = 'sha256=';

/**
 * `X-Hub-Signature-256` as Meta sends it with every webhook POST (confirmed in Meta's webhook docs and the
 * official WhatsApp Node.js SDK): `sha256=` + hex HMAC-SHA256 of the exact body bytes, keyed with the app secret.
 */
export function hubSignature(appSecret: string, rawBody: Buffer): string {
  return PREFIX + createHmac('sha256', appSecret).update(rawBody).digest('hex');
}

/** Compared in constant time; the hex digits may arrive in either case. */
export function isValidHubSignature(appSecret: string, header: string, rawBody: Buffer): boolean {
  if (!header.toLowerCase().startsWith(PREFIX)) return false;
  const given = PREFIX + header.slice(PREFIX.length).toLowerCase();
  return constantTimeEqual(given, hubSignature(appSecret, rawBody));
}
