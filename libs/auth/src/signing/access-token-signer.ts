import type { JwtAlgorithm, PublicJwk } from '@app/config';

/** Chosen by JWT_ALGORITHM in AuthModule: HS256 through @nestjs/jwt, ES256/RS256/EdDSA through jose. */
export const ACCESS_TOKEN_SIGNER = Symbol('ACCESS_TOKEN_SIGNER');

/** The registered claims every access token carries besides its payload. */
export interface AccessTokenSignParams {
  subject: string;
  jwtId: string;
  issuer: string;
  audience: string;
  ttlSeconds: number;
}

export interface AccessTokenExpectations {
  issuer: string;
  audience: string;
}

export interface AccessTokenSigner {
  readonly algorithm: JwtAlgorithm;
  /** The `kid` of the tokens it signs now. */
  readonly signingKeyId: string;
  /** A compact JWS whose header carries `alg` and `kid`, with `iat` and `exp`. */
  sign(payload: Record<string, unknown>, params: AccessTokenSignParams): Promise<string>;
  /**
   * The verified claims. Rejects (with any error) a token whose kid is unknown, whose alg is not its key's,
   * whose signature, expiry, issuer or audience is wrong.
   */
  verify(token: string, expected: AccessTokenExpectations): Promise<Record<string, unknown>>;
  /** The public keys other backends verify with; never a secret. */
  publicJwks(): PublicJwk[];
}
