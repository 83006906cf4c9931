import type { KeyObject } from 'node:crypto';
import { decodeJwt, SignJWT } from 'jose';
import { type AsymmetricJwtAlgorithm, generateSigningKeyPem, parseSigningKeys, type SigningKey } from '@app/config';

export const JWKS_PATH = '/.well-known/jwks.json';
export const JWKS_ALIAS = '/api/v1/auth/jwks';

/** A new private key as JWT_PRIVATE_KEYS takes it (PKCS#8 PEM), with its kid and KeyObjects. */
export function newSigningKey(algorithm: AsymmetricJwtAlgorithm = 'ES256'): SigningKey & { pem: string } {
  const pem = generateSigningKeyPem(algorithm);
  return { ...parseSigningKeys(pem, algorithm)[0], pem };
}

/** The key the service has for `pem` (its kid, as the service computes it). */
export function signingKeyOf(pem: string, algorithm: AsymmetricJwtAlgorithm = 'ES256'): SigningKey {
  return parseSigningKeys(pem, algorithm)[0];
}

/** The JOSE header of a compact JWT. */
export function headerOf(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString('utf8')) as Record<string, unknown>;
}

export interface ForgeOptions {
  /** The JWS alg to write in the header (default: the key's). */
  alg: string;
  /** The kid header; `null`: none. */
  kid: string | null;
  /** HMAC secret bytes or a private KeyObject. */
  key: KeyObject | Uint8Array;
}

/**
 * A token with the claims of `template` (a real access token: same sub, sid, iss, aud, a fresh exp), signed
 * as `options` say: to prove that only the service's own keys, under their own kid and alg, verify.
 */
export async function forgeToken(template: string, options: ForgeOptions): Promise<string> {
  const { iat: _iat, exp: _exp, ...claims } = decodeJwt(template);
  const header = { alg: options.alg, typ: 'JWT', ...(options.kid !== null && { kid: options.kid }) };
  return new SignJWT(claims).setProtectedHeader(header).setIssuedAt().setExpirationTime('5m').sign(options.key);
}

/** An unsigned `alg: none` token with the claims of `template`. */
export function unsignedToken(template: string, kid: string | null): string {
  const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const { iat: _iat, exp: _exp, ...claims } = decodeJwt(template);
  const now = Math.floor(Date.now() / 1000);
  const header = { alg: 'none', typ: 'JWT', ...(kid !== null && { kid }) };
  return `${encode(header)}.${encode({ ...claims, iat: now, exp: now + 300 })}.`;
}
