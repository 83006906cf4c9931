import { randomUUID } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { InjectDataSource } from '@nestjs/typeorm';
import { AuditEventType, AuditRecord, AuditService } from '@app/audit';
import { ClientInfo, DomainError, ErrorCode, maskPhone } from '@app/common';
import { WriteBatch } from '@app/database';
import type { AppConfig } from '@app/config';
import { DataSource, EntityManager } from 'typeorm';
import { AccessTokenClaims, AccessTokenService } from './access-token.service';
import { User } from './entities/user.entity';
import { generateRefreshToken, hashRefreshToken } from './refresh-token-codec';
import { type RefreshTokenWithSession, SessionRepository } from './session.repository';

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
  /** token_issued, for the caller to record with the approval (one INSERT keeps the events in order). */
  auditEvent: AuditRecord;
}

const DAY_MS = 86_400_000;

type SessionOwner = Pick<RefreshTokenWithSession, 'userId' | 'phoneNumber' | 'sessionId' | 'sessionExpiresAt'>;

/**
 * At most this many refresh tokens per spent token inside the grace window (its successor included). Far above
 * an honest client (a few tabs, a retry or two), and it keeps a spent token from minting rows without bound:
 * past it, a repeat counts as reuse.
 */
export const GRACE_SIBLING_LIMIT = 32;

@Injectable()
export class AuthService {
  private readonly logger = new Logger(AuthService.name);
  private readonly refreshTtlMs: number;
  private readonly reuseGraceSeconds: number;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly sessions: SessionRepository,
    private readonly accessTokens: AccessTokenService,
    private readonly audit: AuditService,
    config: ConfigService<AppConfig, true>,
  ) {
    this.refreshTtlMs = config.get('REFRESH_TOKEN_TTL_DAYS', { infer: true }) * DAY_MS;
    this.reuseGraceSeconds = config.get('REFRESH_REUSE_GRACE_SECONDS', { infer: true });
  }

  /**
   * Called inside the verification's transaction: the user is found or created now; the session and its
   * first refresh token go into `batch`, which commits with the code's approval, and so must `auditEvent`.
   */
  async issueLogin(
    manager: EntityManager,
    batch: WriteBatch,
    phoneNumber: string,
    client: ClientInfo,
    verificationId: string,
  ): Promise<IssuedLogin> {
    const { user, isNew } = await this.sessions.upsertUserForLogin(manager, phoneNumber);
    const sessionId = randomUUID();
    const sessionExpiresAt = new Date(Date.now() + this.refreshTtlMs);
    batch.add(
      this.sessions.createSessionStatement({
        id: sessionId,
        userId: user.id,
        expiresAt: sessionExpiresAt,
        ip: client.ip?.slice(0, 64) ?? null,
        userAgent: client.userAgent?.slice(0, 512) ?? null,
      }),
    );
    const tokens = this.issueTokenPair(batch, { userId: user.id, phoneNumber, sessionId, sessionExpiresAt });
    const auditEvent: AuditRecord = {
      type: AuditEventType.TokenIssued,
      outcome: 'success',
      client,
      phoneNumber,
      userId: user.id,
      sessionId,
      verificationId,
      details: { is_new_user: isNew },
    };
    return { user, isNew, tokens, auditEvent };
  }

  /**
   * Rotates a refresh token. A token that was already rotated is a stolen or replayed one: the whole
   * session is revoked and `REFRESH_TOKEN_REUSED` is answered (after that revocation commits).
   *
   * Grace window (SPEC §7): a token rotated less than REFRESH_REUSE_GRACE_SECONDS ago is a double submit, two
   * tabs or a retry after a lost response, not a theft. It gets a **sibling**: a new refresh token (a new row
   * of the same session) and a new access token, so the winner's pair and the sibling both work; nothing is
   * revoked. The spent token's `used_at` is not touched, so repeats never stretch the window. A sibling expires
   * with its session at the latest, so it never extends the family. The row locks of findRefreshTokenForUpdate
   * (token and session) serialise concurrent refreshes: the first rotates, the others see `used_at` and get
   * siblings, counted exactly (GRACE_SIBLING_LIMIT). Past the window or the limit: reuse, as before.
   */
  async refresh(refreshToken: string, client: ClientInfo): Promise<TokenPair> {
    const outcome = await this.dataSource.transaction(async (manager) => {
      const token = await this.sessions.findRefreshTokenForUpdate(manager, hashRefreshToken(refreshToken));
      if (!token || token.sessionRevokedAt || token.expiresAt <= new Date() || token.sessionExpiresAt <= new Date()) {
        return { kind: 'unauthorized' as const };
      }
      const subject = { client, phoneNumber: token.phoneNumber, userId: token.userId, sessionId: token.sessionId };
      if (token.usedAt) {
        const inGrace = token.usedSecondsAgo !== null && token.usedSecondsAgo < this.reuseGraceSeconds;
        const siblingsLeft =
          inGrace &&
          (await this.sessions.countTokensIssuedSinceRotation(manager, token.sessionId, token.tokenId)) <
            GRACE_SIBLING_LIMIT;
        if (siblingsLeft) {
          const batch = new WriteBatch().add(this.sessions.touchSessionStatement(token.sessionId));
          const tokens = this.issueTokenPair(batch, token);
          const details = { grace: true, token_used_at: token.usedAt.toISOString() };
          await batch
            .add(
              this.audit.insertStatement([
                { ...subject, type: AuditEventType.TokenRefreshed, outcome: 'success', details },
              ]),
            )
            .execute(manager);
          return { kind: 'sibling' as const, tokens, phoneNumber: token.phoneNumber };
        }
        await this.sessions.revokeSession(manager, token.sessionId, 'refresh_reuse');
        await this.audit.recordMany(
          [
            {
              ...subject,
              type: AuditEventType.RefreshReuseDetected,
              outcome: 'failure',
              details: { token_used_at: token.usedAt.toISOString(), ...(inGrace ? { grace_exhausted: true } : {}) },
            },
            {
              ...subject,
              type: AuditEventType.SessionRevoked,
              outcome: 'success',
              details: { reason: 'refresh_reuse' },
            },
          ],
          manager,
        );
        return { kind: 'reused' as const, phoneNumber: token.phoneNumber };
      }
      const batch = new WriteBatch()
        .add(this.sessions.spendRefreshTokenStatement(token.tokenId))
        .add(this.sessions.touchSessionStatement(token.sessionId));
      const tokens = this.issueTokenPair(batch, token);
      await batch
        .add(this.audit.insertStatement([{ ...subject, type: AuditEventType.TokenRefreshed, outcome: 'success' }]))
        .execute(manager);
      return { kind: 'rotated' as const, tokens };
    });
    if (outcome.kind === 'rotated') return outcome.tokens;
    if (outcome.kind === 'sibling') {
      this.logger.debug(`refresh token repeated within the grace window for ${maskPhone(outcome.phoneNumber)}`);
      return outcome.tokens;
    }
    if (outcome.kind === 'reused') {
      this.logger.warn(`refresh token reuse for ${maskPhone(outcome.phoneNumber)}: session revoked`);
      throw new DomainError(
        ErrorCode.RefreshTokenReused,
        'This refresh token was already used; the session has been revoked. Sign in again.',
      );
    }
    throw new DomainError(ErrorCode.Unauthorized, 'The refresh token is invalid, expired or revoked');
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

  /** A new refresh token of the session (never outliving it) and an access token. */
  private issueTokenPair(
    batch: WriteBatch,
    { userId, phoneNumber, sessionId, sessionExpiresAt }: SessionOwner,
  ): TokenPair {
    const refreshToken = generateRefreshToken();
    const expiresAt = new Date(Math.min(Date.now() + this.refreshTtlMs, sessionExpiresAt.getTime()));
    batch.add(this.sessions.refreshTokenStatement(sessionId, hashRefreshToken(refreshToken), expiresAt));
    return {
      accessToken: this.accessTokens.sign({ userId, phoneNumber, sessionId }),
      refreshToken,
      expiresIn: this.accessTokens.ttlSeconds,
      sessionId,
    };
  }
}
