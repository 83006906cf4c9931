import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { JwtService } from '@nestjs/jwt';
import { DomainError, ErrorCode } from '@app/common';
import type { AppConfig } from '@app/config';

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

/** HS256 access JWTs with `sub`, `phone_number`, `sid`, `jti`, `iat`, `exp`, `iss`, `aud` (SPEC §7). */
@Injectable()
export class AccessTokenService {
  readonly ttlSeconds: number;
  private readonly issuer: string;
  private readonly audience: string;

  constructor(
    private readonly jwt: JwtService,
    config: ConfigService<AppConfig, true>,
  ) {
    this.ttlSeconds = config.get('JWT_ACCESS_TTL_SECONDS', { infer: true });
    this.issuer = config.get('JWT_ISSUER', { infer: true });
    this.audience = config.get('JWT_AUDIENCE', { infer: true });
  }

  sign(subject: { userId: string; phoneNumber: string; sessionId: string }): string {
    return this.jwt.sign(
      { phone_number: subject.phoneNumber, sid: subject.sessionId },
      {
        subject: subject.userId,
        jwtid: randomUUID(),
        issuer: this.issuer,
        audience: this.audience,
        expiresIn: this.ttlSeconds,
      },
    );
  }

  /**
   * Verifies signature, expiry, issuer and audience, and the shape of the claims the service reads (a
   * correctly signed token with a `sub` or `sid` that is not a UUID must not reach SQL); `UNAUTHORIZED` otherwise.
   */
  verify(token: string): AccessTokenClaims {
    let claims: AccessTokenClaims;
    try {
      claims = this.jwt.verify<AccessTokenClaims>(token, {
        issuer: this.issuer,
        audience: this.audience,
        algorithms: ['HS256'],
      });
    } catch {
      throw new DomainError(ErrorCode.Unauthorized, 'The access token is missing, invalid or expired');
    }
    if (!hasValidClaims(claims)) throw new DomainError(ErrorCode.Unauthorized, 'The access token is not valid');
    return claims;
  }
}
