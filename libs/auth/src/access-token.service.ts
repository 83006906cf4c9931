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

  /** Verifies signature, expiry, issuer and audience; `UNAUTHORIZED` otherwise. */
  verify(token: string): AccessTokenClaims {
    try {
      return this.jwt.verify<AccessTokenClaims>(token, {
        issuer: this.issuer,
        audience: this.audience,
        algorithms: ['HS256'],
      });
    } catch {
      throw new DomainError(ErrorCode.Unauthorized, 'The access token is missing, invalid or expired');
    }
  }
}
