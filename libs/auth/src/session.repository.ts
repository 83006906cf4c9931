import { Injectable } from '@nestjs/common';
import type { SqlStatement } from '@app/database';
import { EntityManager } from 'typeorm';
import { Session } from './entities/session.entity';
import { User } from './entities/user.entity';

export interface RefreshTokenWithSession {
  tokenId: string;
  sessionId: string;
  userId: string;
  phoneNumber: string;
  usedAt: Date | null;
  /** Seconds since `usedAt`, by the database's clock (the one that stamped it); null when never used. */
  usedSecondsAgo: number | null;
  expiresAt: Date;
  sessionRevokedAt: Date | null;
  sessionExpiresAt: Date;
}

interface UserRow {
  id: string;
  phone_number: string;
  created_at: Date;
  last_login_at: Date;
}

interface RefreshTokenRow {
  token_id: string;
  session_id: string;
  used_at: Date | null;
  used_seconds_ago: number | null;
  expires_at: Date;
  user_id: string;
  revoked_at: Date | null;
  session_expires_at: Date;
  phone_number: string;
}

/** All SQL of users, sessions and refresh tokens. Every method runs on the caller's manager (its transaction). */
@Injectable()
export class SessionRepository {
  /** Creates the user on first login; either way stamps `last_login_at`. */
  async upsertUserForLogin(manager: EntityManager, phoneNumber: string): Promise<{ user: User; isNew: boolean }> {
    const [row] = await manager.query<(UserRow & { inserted: boolean })[]>(
      `INSERT INTO users (phone_number, last_login_at) VALUES ($1, now())
       ON CONFLICT (phone_number) DO UPDATE SET last_login_at = now()
       RETURNING id, phone_number, created_at, last_login_at, (xmax = 0) AS inserted`,
      [phoneNumber],
    );
    const user = manager.create(User, {
      id: row.id,
      phoneNumber: row.phone_number,
      createdAt: row.created_at,
      lastLoginAt: row.last_login_at,
    });
    return { user, isNew: row.inserted };
  }

  createSessionStatement(session: Pick<Session, 'id' | 'userId' | 'expiresAt' | 'ip' | 'userAgent'>): SqlStatement {
    return [
      'INSERT INTO sessions (id, user_id, expires_at, ip, user_agent) VALUES ($1, $2, $3, $4, $5)',
      [session.id, session.userId, session.expiresAt, session.ip, session.userAgent],
    ];
  }

  refreshTokenStatement(sessionId: string, tokenHash: string, expiresAt: Date): SqlStatement {
    return [
      'INSERT INTO refresh_tokens (session_id, token_hash, expires_at) VALUES ($1, $2, $3)',
      [sessionId, tokenHash, expiresAt],
    ];
  }

  /** Locks the token row, so concurrent refreshes of one token are serialised. */
  async findRefreshTokenForUpdate(manager: EntityManager, tokenHash: string): Promise<RefreshTokenWithSession | null> {
    const [row] = await manager.query<RefreshTokenRow[]>(
      `SELECT rt.id AS token_id, rt.session_id, rt.used_at, rt.expires_at,
              EXTRACT(EPOCH FROM clock_timestamp() - rt.used_at)::float8 AS used_seconds_ago,
              s.user_id, s.revoked_at, s.expires_at AS session_expires_at, u.phone_number
         FROM refresh_tokens rt
         JOIN sessions s ON s.id = rt.session_id
         JOIN users u ON u.id = s.user_id
        WHERE rt.token_hash = $1
        FOR UPDATE OF rt, s`,
      [tokenHash],
    );
    if (!row) return null;
    return {
      tokenId: row.token_id,
      sessionId: row.session_id,
      userId: row.user_id,
      phoneNumber: row.phone_number,
      usedAt: row.used_at,
      usedSecondsAgo: row.used_seconds_ago,
      expiresAt: row.expires_at,
      sessionRevokedAt: row.revoked_at,
      sessionExpiresAt: row.session_expires_at,
    };
  }

  spendRefreshTokenStatement(tokenId: string): SqlStatement {
    return ['UPDATE refresh_tokens SET used_at = now() WHERE id = $1', [tokenId]];
  }

  /**
   * Refresh tokens the session got since the spent token was rotated: its successor, the grace siblings, and
   * anything rotated from those. Exact only under the session's row lock (findRefreshTokenForUpdate holds it).
   */
  async countTokensIssuedSinceRotation(
    manager: EntityManager,
    sessionId: string,
    spentTokenId: string,
  ): Promise<number> {
    const [row] = await manager.query<{ n: number }[]>(
      `SELECT count(*)::int AS n FROM refresh_tokens
        WHERE session_id = $1 AND created_at >= (SELECT used_at FROM refresh_tokens WHERE id = $2)`,
      [sessionId, spentTokenId],
    );
    return row.n;
  }

  touchSessionStatement(sessionId: string): SqlStatement {
    return ['UPDATE sessions SET last_refreshed_at = now() WHERE id = $1', [sessionId]];
  }

  /** Revokes a session unless it already is; true when this call revoked it. */
  async revokeSession(manager: EntityManager, sessionId: string, reason: string): Promise<boolean> {
    // TypeORM answers UPDATE with [rows, rowCount].
    const [, revoked] = await manager.query<[unknown, number]>(
      'UPDATE sessions SET revoked_at = now(), revoked_reason = $2 WHERE id = $1 AND revoked_at IS NULL',
      [sessionId, reason],
    );
    return revoked > 0;
  }

  async findActiveSessionUser(manager: EntityManager, sessionId: string, userId: string): Promise<User | null> {
    const [row] = await manager.query<UserRow[]>(
      `SELECT u.id, u.phone_number, u.created_at, u.last_login_at
         FROM sessions s JOIN users u ON u.id = s.user_id
        WHERE s.id = $1 AND s.user_id = $2 AND s.revoked_at IS NULL AND s.expires_at > now()`,
      [sessionId, userId],
    );
    if (!row) return null;
    return manager.create(User, {
      id: row.id,
      phoneNumber: row.phone_number,
      createdAt: row.created_at,
      lastLoginAt: row.last_login_at,
    });
  }
}
