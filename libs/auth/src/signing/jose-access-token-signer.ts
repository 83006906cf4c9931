import { decodeProtectedHeader, jwtVerify } from 'jose';
import type { AsymmetricJwtAlgorithm, PublicJwk, SigningKey } from '@app/config';
import type { AccessTokenExpectations, AccessTokenSigner, AccessTokenSignParams } from './access-token-signer';
import { signCompactJws } from './compact-jws';

/**
 * ES256, RS256 or EdDSA with the keys of JWT_PRIVATE_KEYS, imported once at boot: the first signs
 * (signCompactJws), every one verifies (jose). A token must name its key by kid; the algorithm is pinned to that
 * key's, so `alg: none`, HS256 keyed with a public key, or another asymmetric algorithm never verify.
 */
export class JoseAccessTokenSigner implements AccessTokenSigner {
  readonly algorithm: AsymmetricJwtAlgorithm;
  readonly signingKeyId: string;
  private readonly byKid: ReadonlyMap<string, SigningKey>;
  private readonly jwks: PublicJwk[];

  constructor(private readonly keys: readonly SigningKey[]) {
    if (keys.length === 0) throw new Error('JoseAccessTokenSigner needs at least one key');
    this.algorithm = keys[0].alg;
    this.signingKeyId = keys[0].kid;
    this.byKid = new Map(keys.map((key) => [key.kid, key]));
    this.jwks = keys.map((key) => key.publicJwk);
  }

  sign(payload: Record<string, unknown>, params: AccessTokenSignParams): Promise<string> {
    const key = this.keys[0];
    const now = Math.floor(Date.now() / 1000);
    const claims = {
      ...payload,
      sub: params.subject,
      jti: params.jwtId,
      iss: params.issuer,
      aud: params.audience,
      iat: now,
      exp: now + params.ttlSeconds,
    };
    return Promise.resolve(signCompactJws({ alg: key.alg, kid: key.kid, typ: 'JWT' }, claims, key.privateKey));
  }

  async verify(token: string, expected: AccessTokenExpectations): Promise<Record<string, unknown>> {
    const { kid } = decodeProtectedHeader(token);
    const key = typeof kid === 'string' ? this.byKid.get(kid) : undefined;
    if (!key) throw new Error('unknown or missing kid');
    const { payload } = await jwtVerify(token, key.publicKey, {
      algorithms: [key.alg],
      issuer: expected.issuer,
      audience: expected.audience,
      requiredClaims: ['exp', 'iat'],
    });
    return payload;
  }

  publicJwks(): PublicJwk[] {
    return this.jwks;
  }
}
