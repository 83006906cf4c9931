import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { DomainError, ErrorCode } from '@app/common';
import { AccessTokenClaims, AccessTokenService } from './access-token.service';
import { AuthService } from './auth.service';
import type { User } from './entities/user.entity';

export type AuthenticatedRequest = FastifyRequest & { accessToken: AccessTokenClaims; user: User };

/**
 * Requires `Authorization: Bearer <access JWT>` of a session that is still active: a signature alone is not
 * enough, so that ending a session (logout, another device, an operator) stops its access tokens at once.
 * Puts the verified claims and their user on the request.
 */
@Injectable()
export class AccessTokenGuard implements CanActivate {
  constructor(
    private readonly accessTokens: AccessTokenService,
    private readonly auth: AuthService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const [scheme, token] = (request.headers.authorization ?? '').split(' ');
    if (scheme?.toLowerCase() !== 'bearer' || !token) {
      throw new DomainError(ErrorCode.Unauthorized, 'An access token is required (Authorization: Bearer <token>)');
    }
    request.accessToken = await this.accessTokens.verify(token);
    request.user = await this.auth.currentUser(request.accessToken);
    return true;
  }
}
