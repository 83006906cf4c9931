import { type JwtService } from '@nestjs/jwt';
import type { PublicJwk } from '@app/config';
import type { AccessTokenExpectations, AccessTokenSigner, AccessTokenSignParams } from './access-token-signer';

/**
 * HS256 with JWT_SECRET, through @nestjs/jwt (the secret is JwtModule's). The kid is the RFC 7638 thumbprint of
 * the secret's oct JWK. A token without kid is accepted: those were issued before kids (15 minutes at most).
 */
export class HmacAccessTokenSigner implements AccessTokenSigner {
  readonly algorithm = 'HS256' as const;

  constructor(
    private readonly jwt: JwtService,
    readonly signingKeyId: string,
  ) {}

  sign(payload: Record<string, unknown>, params: AccessTokenSignParams): Promise<string> {
    return this.jwt.signAsync(payload, {
      algorithm: 'HS256',
      keyid: this.signingKeyId,
      subject: params.subject,
      jwtid: params.jwtId,
      issuer: params.issuer,
      audience: params.audience,
      expiresIn: params.ttlSeconds,
    });
  }

  async verify(token: string, expected: AccessTokenExpectations): Promise<Record<string, unknown>> {
    const decoded: unknown = this.jwt.decode(token, { complete: true });
    if (!decoded || typeof decoded !== 'object') throw new Error('not a JWT');
    const { kid } = (decoded as { header?: { kid?: unknown } }).header ?? {};
    if (kid !== undefined && kid !== this.signingKeyId) throw new Error('unknown kid');
    return this.jwt.verifyAsync<Record<string, unknown>>(token, {
      algorithms: ['HS256'],
      issuer: expected.issuer,
      audience: expected.audience,
    });
  }

  publicJwks(): PublicJwk[] {
    return [];
  }
}
