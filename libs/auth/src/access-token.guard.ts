import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { DomainError, ErrorCode } from '@app/common';
import { AccessTokenClaims, AccessTokenService } from './access-token.service';

export type AuthenticatedRequest = FastifyRequest & { accessToken: AccessTokenClaims };

/** Requires `Authorization: Bearer <access JWT>`; puts the verified claims on the request. */
@Injectable()
export class AccessTokenGuard implements CanActivate {
  constructor(private readonly accessTokens: AccessTokenService) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const [scheme, token] = (request.headers.authorization ?? '').split(' ');
    if (scheme?.toLowerCase() !== 'bearer' || !token) {
      throw new DomainError(ErrorCode.Unauthorized, 'An access token is required (Authorization: Bearer <token>)');
    }
    request.accessToken = await this.accessTokens.verify(token);
    return true;
  }
}
