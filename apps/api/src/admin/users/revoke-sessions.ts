import { AuditEventType, type AuditRecord } from '@app/audit';
import type { ClientInfo } from '@app/common';
import type { EntityManager } from 'typeorm';

export interface RevokedSession {
  session_id: string;
  user_id: string;
  phone_number: string;
}

/**
 * Ends the active sessions (neither revoked nor expired) of the users `usersWhere` selects (an SQL condition on
 * `u`, the users table, with $1 its one parameter), on the caller's transaction: their refresh tokens are refused
 * and their access tokens stop working at once (the token check reads the session). Returns them with one
 * `session_revoked` event each, for the caller to write in the same transaction.
 */
export async function revokeActiveSessions(
  manager: EntityManager,
  usersWhere: string,
  parameter: string,
  reason: string,
  client: ClientInfo,
): Promise<{ sessions: RevokedSession[]; events: AuditRecord[] }> {
  // TypeORM answers an UPDATE … RETURNING with [rows, rowCount].
  const [sessions] = await manager.query<[RevokedSession[], number]>(
    `UPDATE sessions s SET revoked_at = now(), revoked_reason = $2
       FROM users u
      WHERE u.id = s.user_id AND ${usersWhere} AND s.revoked_at IS NULL AND s.expires_at > now()
      RETURNING s.id AS session_id, s.user_id, u.phone_number`,
    [parameter, reason],
  );
  sessions.sort((a, b) => a.session_id.localeCompare(b.session_id));
  const events = sessions.map((session): AuditRecord => ({
    type: AuditEventType.SessionRevoked,
    outcome: 'success',
    client,
    phoneNumber: session.phone_number,
    userId: session.user_id,
    sessionId: session.session_id,
    details: { reason },
  }));
  return { sessions, events };
}
