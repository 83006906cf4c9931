import { randomUUID } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { AuditEventType, AuditService } from '@app/audit';
import { ClientInfo, DomainError, ErrorCode, maskPhone } from '@app/common';
import { DataSource } from 'typeorm';
import { AccessTokenClaims, AccessTokenService } from './access-token.service';
import { User } from './entities/user.entity';
import { generateRefreshToken, hashRefreshToken } from './refresh-token-codec';
import { ActiveSession, SessionRepository } from './session.repository';

export interface TokenPair {
  accessToken: string;
  refreshToken: string;
  /** Lifetime of the access token, in seconds. */
  expiresIn: number;
  sessionId: string;
}

export interface IssuedLogin {
  user: User;
  isNew: boolean;
  tokens: TokenPair;
}

/** What a login needs before the statement that creates it: the session's id and its first refresh token. */
export interface LoginCredentials {
  sessionId: string;
  refreshToken: string;
  refreshTokenHash: string;
}

export { GRACE_SIBLING_LIMIT, refreshTokenTtlSeconds } from './session.repository';

@Injectable()
export class AuthService {
  private readonly logger = new Logger(AuthService.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly sessions: SessionRepository,
    private readonly accessTokens: AccessTokenService,
    private readonly audit: AuditService,
  ) {}

  /** A new session's id and first refresh token, for the statement that approves a code to create them. */
  loginCredentials(): LoginCredentials {
    const refreshToken = generateRefreshToken();
    return {
      sessionId: randomUUID(),
      refreshToken,
      refreshTokenHash: hashRefreshToken(refreshToken),
    };
  }

  /** The answer to a login whose session `credentials` created: the user and the token pair. */
  async issuedLogin(credentials: LoginCredentials, user: User, isNew: boolean): Promise<IssuedLogin> {
    return {
      user,
      isNew,
      tokens: await this.tokenPair(credentials.refreshToken, {
        userId: user.id,
        phoneNumber: user.phoneNumber,
        sessionId: credentials.sessionId,
      }),
    };
  }

  /**
   * Rotates a refresh token, in one statement (sms_auth_refresh). A token that was already rotated is a stolen
   * or replayed one: the whole session is revoked and `REFRESH_TOKEN_REUSED` is answered (after that
   * revocation commits).
   *
   * Grace window (SPEC §7): a token rotated less than REFRESH_REUSE_GRACE_SECONDS ago is a double submit, two
   * tabs or a retry after a lost response, not a theft. It gets a **sibling**: a new refresh token (a new row
   * of the same session) and a new access token, so the winner's pair and the sibling both work; nothing is
   * revoked. The spent token's `used_at` is not touched, so repeats never stretch the window. A sibling expires
   * with its session at the latest, so it never extends the family. The row locks on the token and its session
   * serialise concurrent refreshes: the first rotates, the others see `used_at` and get siblings, counted
   * exactly (GRACE_SIBLING_LIMIT). Past the window or the limit: reuse, as before.
   */
  async refresh(refreshToken: string, client: ClientInfo): Promise<TokenPair> {
    const next = generateRefreshToken();
    const row = await this.sessions.refresh({
      tokenHash: hashRefreshToken(refreshToken),
      newTokenHash: hashRefreshToken(next),
      ip: client.ip,
      userAgent: client.userAgent,
    });
    if (row.result === 'UNAUTHORIZED')
      throw new DomainError(ErrorCode.Unauthorized, 'The refresh token is invalid, expired or revoked');
    const owner = { userId: row.user_id!, phoneNumber: row.phone_number!, sessionId: row.session_id! };
    if (row.result === 'REUSED') {
      this.logger.warn(`refresh token reuse for ${maskPhone(owner.phoneNumber)}: session revoked`);
      throw new DomainError(
        ErrorCode.RefreshTokenReused,
        'This refresh token was already used; the session has been revoked. Sign in again.',
      );
    }
    if (row.result === 'SIBLING')
      this.logger.debug(`refresh token repeated within the grace window for ${maskPhone(owner.phoneNumber)}`);
    return this.tokenPair(next, owner);
  }

  /** Revokes the session the token belongs to. Logging out twice is harmless. */
  async logout(refreshToken: string, client: ClientInfo): Promise<void> {
    const known = await this.dataSource.transaction(async (manager) => {
      const token = await this.sessions.findRefreshTokenForUpdate(manager, hashRefreshToken(refreshToken));
      if (!token) return false;
      if (await this.sessions.revokeSession(manager, token.sessionId, 'logout')) {
        await this.audit.record(
          {
            type: AuditEventType.SessionRevoked,
            outcome: 'success',
            client,
            phoneNumber: token.phoneNumber,
            userId: token.userId,
            sessionId: token.sessionId,
            details: { reason: 'logout' },
          },
          manager,
        );
      }
      return true;
    });
    if (!known) throw new DomainError(ErrorCode.Unauthorized, 'The refresh token is invalid');
  }

  /** The user behind a verified access token, provided its session is still active. */
  async currentUser(claims: AccessTokenClaims): Promise<User> {
    const user = await this.sessions.findActiveSessionUser(this.dataSource.manager, claims.sid, claims.sub);
    if (!user) throw new DomainError(ErrorCode.Unauthorized, 'The session of this access token has ended');
    return user;
  }

  /** The active sessions of the token's user (SPEC §7), most recently used first. */
  listSessions(claims: AccessTokenClaims): Promise<ActiveSession[]> {
    return this.sessions.listActiveSessions(claims.sub);
  }

  /**
   * Ends one of the user's sessions, this one or another device's: its refresh tokens stop working, and its
   * access tokens too at their next check (AccessTokenGuard reads the session). `NOT_FOUND` when it is not an
   * active session of this user — someone else's session looks exactly like one that does not exist.
   */
  async endSession(claims: AccessTokenClaims, sessionId: string, client: ClientInfo): Promise<void> {
    const ended = await this.sessions.revokeSessions({ userId: claims.sub, sessionId }, 'user', client);
    if (ended === 0) throw new DomainError(ErrorCode.NotFound, 'No active session of yours has this id');
  }

  /** Ends every session of the user, the current one included; how many. */
  logoutAll(claims: AccessTokenClaims, client: ClientInfo): Promise<number> {
    return this.sessions.revokeSessions({ userId: claims.sub }, 'logout_all', client);
  }

  private async tokenPair(
    refreshToken: string,
    owner: { userId: string; phoneNumber: string; sessionId: string },
  ): Promise<TokenPair> {
    return {
      accessToken: await this.accessTokens.sign(owner),
      refreshToken,
      expiresIn: this.accessTokens.ttlSeconds,
      sessionId: owner.sessionId,
    };
  }
}
