import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { ClientInfo } from '@app/common';
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

/** A session that still works: not revoked, not expired. */
export interface ActiveSession {
  id: string;
  createdAt: Date;
  lastUsedAt: Date;
  expiresAt: Date;
  ip: string | null;
  userAgent: string | null;
}

/** Whose active sessions to end: one session of a user, all of a user's, or all of a phone's user's. */
export type SessionSelector = { userId: string; sessionId?: string } | { phoneNumber: string };

/** Why (`sessions.revoked_reason` and the `session_revoked` event's `details.reason`). */
export type RevocationReason = 'user' | 'logout_all' | 'operator' | 'phone_blocked';

/** A user signs in a handful of times a month; this bounds the answer should a client loop on logins. */
const LISTED_SESSIONS_LIMIT = 200;

const ACTIVE_SESSIONS_SQL = `
  SELECT id, created_at, coalesce(last_refreshed_at, created_at) AS last_used_at, expires_at, ip, user_agent
    FROM sessions
   WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > now()
   ORDER BY last_used_at DESC, id
   LIMIT ${LISTED_SESSIONS_LIMIT}`;

// One statement: the sessions ended and a session_revoked event for each commit together. $1 user, $2 session,
// $3 phone: NULL means any (each is planned with its value, so the NULL tests fold away).
const REVOKE_SESSIONS_SQL = `
  WITH revoked AS (
    UPDATE sessions s SET revoked_at = now(), revoked_reason = $4
      FROM users u
     WHERE u.id = s.user_id AND ($1::uuid IS NULL OR s.user_id = $1) AND ($2::uuid IS NULL OR s.id = $2)
       AND ($3::varchar IS NULL OR u.phone_number = $3) AND s.revoked_at IS NULL AND s.expires_at > now()
    RETURNING s.id, s.user_id, u.phone_number),
  audited AS (
    INSERT INTO audit_events (type, outcome, phone_number, user_id, session_id, ip, user_agent, details)
    SELECT 'session_revoked', 'success', r.phone_number, r.user_id, r.id, left($5, 64), left($6, 512),
           jsonb_build_object('reason', $4::text)
      FROM revoked r
     ORDER BY r.id
    RETURNING 1)
  SELECT count(*)::integer AS revoked FROM audited`;

interface ActiveSessionRow {
  id: string;
  created_at: Date;
  last_used_at: Date;
  expires_at: Date;
  ip: string | null;
  user_agent: string | null;
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

  constructor(
    private readonly sql: SqlClient,
    config: ConfigService<AppConfig, true>,
  ) {
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

  /** The user's sessions that still work, most recently used first. */
  async listActiveSessions(userId: string): Promise<ActiveSession[]> {
    const rows = await this.sql.query<ActiveSessionRow>(ACTIVE_SESSIONS_SQL, [userId]);
    return rows.map((row) => ({
      id: row.id,
      createdAt: row.created_at,
      lastUsedAt: row.last_used_at,
      expiresAt: row.expires_at,
      ip: row.ip,
      userAgent: row.user_agent,
    }));
  }

  /**
   * Ends active sessions, each with its `session_revoked` event, in one statement (on `manager`'s transaction
   * when given); how many. Their refresh tokens are refused from then on, and their access tokens too
   * (AccessTokenGuard reads the session).
   */
  async revokeSessions(
    selector: SessionSelector,
    reason: RevocationReason,
    client: ClientInfo,
    manager?: EntityManager,
  ): Promise<number> {
    const values = [
      'userId' in selector ? selector.userId : null,
      'userId' in selector ? (selector.sessionId ?? null) : null,
      'phoneNumber' in selector ? selector.phoneNumber : null,
      reason,
      client.ip,
      client.userAgent,
    ];
    const [row] = manager
      ? await manager.query<{ revoked: number }[]>(REVOKE_SESSIONS_SQL, values)
      : await this.sql.query<{ revoked: number }>(REVOKE_SESSIONS_SQL, values);
    return row.revoked;
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
