import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { AppConfig } from '@app/config';
import { inRequestOrder, SqlClient, StatementCoalescer } from '@app/database';
import { EntityManager } from 'typeorm';
import { User } from './entities/user.entity';

/**
 * At most this many refresh tokens per spent token inside the grace window (its successor included). Far above
 * an honest client (a few tabs, a retry or two), and it keeps a spent token from minting rows without bound:
 * past it, a repeat counts as reuse.
 */
export const GRACE_SIBLING_LIMIT = 32;

/** A session's lifetime, and its refresh tokens' at most: REFRESH_TOKEN_TTL_DAYS, in seconds. */
export function refreshTokenTtlSeconds(config: ConfigService<AppConfig, true>): number {
  return config.get('REFRESH_TOKEN_TTL_DAYS', { infer: true }) * 86_400;
}

export interface RefreshRequest {
  tokenHash: string;
  /** The hash of the token that replaces it, generated before the call (unused when refused). */
  newTokenHash: string;
  ip: string | null;
  userAgent: string | null;
}

export interface RefreshRow {
  request: number;
  result: 'ROTATED' | 'SIBLING' | 'REUSED' | 'UNAUTHORIZED';
  user_id: string | null;
  phone_number: string | null;
  session_id: string | null;
}

const REFRESH_SQL = 'SELECT * FROM sms_auth_refresh_tokens($1, $2, $3, $4)';

/** The owner of a refresh token: what a logout revokes and audits. */
export interface RefreshTokenOwner {
  sessionId: string;
  userId: string;
  phoneNumber: string;
}

interface UserRow {
  id: string;
  phone_number: string;
  created_at: Date;
  last_login_at: Date;
}

interface RefreshTokenOwnerRow {
  session_id: string;
  user_id: string;
  phone_number: string;
}

/**
 * All SQL of users, sessions and refresh tokens. The refresh is ONE statement (sms_auth_refresh_tokens, migration
 * HotPathFunctions), shared with concurrent refreshes; the other methods run on the caller's manager (its
 * transaction).
 */
@Injectable()
export class SessionRepository {
  /** The refreshes of concurrent requests, in one statement (StatementCoalescer). */
  private readonly refreshes: StatementCoalescer<RefreshRequest, RefreshRow>;

  constructor(sql: SqlClient, config: ConfigService<AppConfig, true>) {
    const settings = [
      refreshTokenTtlSeconds(config),
      config.get('REFRESH_REUSE_GRACE_SECONDS', { infer: true }),
      GRACE_SIBLING_LIMIT,
    ];
    this.refreshes = new StatementCoalescer(async (requests) => {
      const rows = await sql.query<RefreshRow>(REFRESH_SQL, [
        JSON.stringify(
          requests.map((request) => ({
            token_hash: request.tokenHash,
            new_token_hash: request.newTokenHash,
            ip: request.ip,
            user_agent: request.userAgent,
          })),
        ),
        ...settings,
      ]);
      return inRequestOrder(rows, requests.length);
    });
  }

  /** Rotates a refresh token (sms_auth_refresh, migration HotPathFunctions: the rules are there). */
  refresh(request: RefreshRequest): Promise<RefreshRow> {
    return this.refreshes.submit(request);
  }

  /** Locks the token and session rows, so that a logout and a refresh of one token take turns. */
  async findRefreshTokenForUpdate(manager: EntityManager, tokenHash: string): Promise<RefreshTokenOwner | null> {
    const [row] = await manager.query<RefreshTokenOwnerRow[]>(
      `SELECT rt.session_id, s.user_id, u.phone_number
         FROM refresh_tokens rt
         JOIN sessions s ON s.id = rt.session_id
         JOIN users u ON u.id = s.user_id
        WHERE rt.token_hash = $1
        FOR UPDATE OF rt, s`,
      [tokenHash],
    );
    return row ? { sessionId: row.session_id, userId: row.user_id, phoneNumber: row.phone_number } : null;
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
