import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { DomainError, ErrorCode } from '@app/common';
import type { AppConfig, PublicJwk } from '@app/config';
import { ACCESS_TOKEN_SIGNER, type AccessTokenSigner } from './signing/access-token-signer';

export interface AccessTokenClaims {
  sub: string;
  phone_number: string;
  sid: string;
  jti: string;
  iat: number;
  exp: number;
  iss: string;
  aud: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The claims we sign: `sub` and `sid` are UUIDs, `phone_number` a string without NUL. */
function hasValidClaims(claims: Partial<Record<keyof AccessTokenClaims, unknown>>): boolean {
  return (
    typeof claims.sub === 'string' &&
    UUID.test(claims.sub) &&
    typeof claims.sid === 'string' &&
    UUID.test(claims.sid) &&
    typeof claims.phone_number === 'string' &&
    !claims.phone_number.includes('\u0000')
  );
}

/**
 * Access JWTs with `sub`, `phone_number`, `sid`, `jti`, `iat`, `exp`, `iss`, `aud` and a `kid` header (SPEC §7),
 * signed by the ACCESS_TOKEN_SIGNER that JWT_ALGORITHM chose.
 */
@Injectable()
export class AccessTokenService {
  readonly ttlSeconds: number;
  private readonly issuer: string;
  private readonly audience: string;

  constructor(
    @Inject(ACCESS_TOKEN_SIGNER) private readonly signer: AccessTokenSigner,
    config: ConfigService<AppConfig, true>,
  ) {
    this.ttlSeconds = config.get('JWT_ACCESS_TTL_SECONDS', { infer: true });
    this.issuer = config.get('JWT_ISSUER', { infer: true });
    this.audience = config.get('JWT_AUDIENCE', { infer: true });
  }

  sign(subject: { userId: string; phoneNumber: string; sessionId: string }): Promise<string> {
    return this.signer.sign(
      { phone_number: subject.phoneNumber, sid: subject.sessionId },
      {
        subject: subject.userId,
        jwtId: randomUUID(),
        issuer: this.issuer,
        audience: this.audience,
        ttlSeconds: this.ttlSeconds,
      },
    );
  }

  /**
   * Verifies kid, algorithm (pinned to the kid's key), signature, expiry, issuer and audience, and the shape of
   * the claims the service reads (a correctly signed token with a `sub` or `sid` that is not a UUID must not
   * reach SQL); `UNAUTHORIZED` otherwise.
   */
  async verify(token: string): Promise<AccessTokenClaims> {
    let claims: AccessTokenClaims;
    try {
      claims = (await this.signer.verify(token, {
        issuer: this.issuer,
        audience: this.audience,
      })) as unknown as AccessTokenClaims;
    } catch {
      throw new DomainError(ErrorCode.Unauthorized, 'The access token is missing, invalid or expired');
    }
    if (!hasValidClaims(claims)) throw new DomainError(ErrorCode.Unauthorized, 'The access token is not valid');
    return claims;
  }

  /** The public keys of the tokens (JWKS); empty with HS256, whose secret is never published. */
  jwks(): { keys: PublicJwk[] } {
    return { keys: this.signer.publicJwks() };
  }
}
