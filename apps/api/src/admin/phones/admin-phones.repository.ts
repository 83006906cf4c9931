import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { AuditEventType, AuditService } from '@app/audit';
import type { ClientInfo } from '@app/common';
import { DataSource } from 'typeorm';
import { revokeActiveSessions } from '../users/revoke-sessions';
import type { PhoneStateDto } from './phone-state.dto';

interface PhoneStateRow {
  blocked_at: Date | null;
  note: string | null;
  locked_until: Date | null;
  user_id: string | null;
  user_created_at: Date | null;
  last_login_at: Date | null;
  active_sessions: number;
}

const iso = (value: Date | null) => (value ? new Date(value).toISOString() : null);

/**
 * The operators' actions on a phone (SPEC §7). Each is one transaction: the change and its audit event (with
 * the operator's note and address) commit together or not at all.
 */
@Injectable()
export class AdminPhonesRepository {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly audit: AuditService,
  ) {}

  async state(phone: string): Promise<Omit<PhoneStateDto, 'success' | 'phone_number'>> {
    const [row] = await this.dataSource.query<PhoneStateRow[]>(
      `SELECT b.blocked_at, b.note, l.locked_until, u.id AS user_id, u.created_at AS user_created_at,
              u.last_login_at,
              (SELECT count(*)::integer FROM sessions s
                WHERE s.user_id = u.id AND s.revoked_at IS NULL AND s.expires_at > now()) AS active_sessions
         FROM (SELECT $1::varchar AS phone_number) p
         LEFT JOIN phone_blocks b ON b.phone_number = p.phone_number
         LEFT JOIN phone_locks l ON l.phone_number = p.phone_number AND l.locked_until > now()
         LEFT JOIN users u ON u.phone_number = p.phone_number`,
      [phone],
    );
    return {
      blocked: row.blocked_at ? { blocked_at: iso(row.blocked_at)!, note: row.note } : null,
      locked_until: iso(row.locked_until),
      user: row.user_id
        ? {
            id: row.user_id,
            created_at: iso(row.user_created_at)!,
            last_login_at: iso(row.last_login_at),
            active_sessions: row.active_sessions,
          }
        : null,
    };
  }

  /**
   * Ends an active lock by moving its end to now: the verify counts wrong codes only after the last lock's end
   * (sms_auth_verify_code), so the slate is wiped too.
   */
  unlock(phone: string, note: string | null, client: ClientInfo): Promise<{ wasLocked: boolean }> {
    return this.dataSource.transaction(async (manager) => {
      const [ended] = await manager.query<[{ locked_until: Date }[], number]>(
        `WITH active AS (
           SELECT l.phone_number, l.locked_until FROM phone_locks l
            WHERE l.phone_number = $1 AND l.locked_until > now() FOR UPDATE)
         UPDATE phone_locks l SET locked_until = now(), updated_at = now()
           FROM active WHERE l.phone_number = active.phone_number
         RETURNING active.locked_until`,
        [phone],
      );
      const lockedUntil = ended[0]?.locked_until ?? null;
      await this.audit.record(
        {
          type: AuditEventType.PhoneUnlocked,
          outcome: 'success',
          client,
          phoneNumber: phone,
          details: { note, was_locked: lockedUntil !== null, locked_until: iso(lockedUntil) },
        },
        manager,
      );
      return { wasLocked: lockedUntil !== null };
    });
  }

  /**
   * Blocks the phone (blocking again replaces the note), cancels its pending code and ends its user's sessions.
   * The phone's advisory lock first: sends of the phone take it too (sms_auth_reserve_send), so a send either
   * reserved its code before (the code is canceled here) or sees the block. The code is canceled before the
   * sessions are ended: a verify that locked the code first commits its session before this reads the
   * sessions (each statement sees what committed before it), one that comes later finds no pending code.
   */
  block(
    phone: string,
    note: string | null,
    client: ClientInfo,
  ): Promise<{ blockedAt: string; wasBlocked: boolean; sessionsRevoked: number }> {
    return this.dataSource.transaction(async (manager) => {
      await manager.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [phone]);
      const [block] = await manager.query<{ blocked_at: Date; inserted: boolean }[]>(
        `INSERT INTO phone_blocks (phone_number, note) VALUES ($1, $2)
         ON CONFLICT (phone_number) DO UPDATE SET note = EXCLUDED.note
         RETURNING blocked_at, (xmax = 0) AS inserted`,
        [phone, note],
      );
      await manager.query(
        `UPDATE sms_verifications v
            SET status = CASE WHEN v.expires_at <= now() THEN 'expired' ELSE 'canceled' END, updated_at = now()
          WHERE v.phone_number = $1 AND v.status = 'pending'`,
        [phone],
      );
      const { sessions, events } = await revokeActiveSessions(
        manager,
        'u.phone_number = $1',
        phone,
        'phone_blocked',
        client,
      );
      const wasBlocked = !block.inserted;
      await this.audit.recordMany(
        [
          {
            type: AuditEventType.PhoneBlocked,
            outcome: 'success',
            client,
            phoneNumber: phone,
            details: { note, was_blocked: wasBlocked, sessions_revoked: sessions.length },
          },
          ...events,
        ],
        manager,
      );
      return { blockedAt: iso(block.blocked_at)!, wasBlocked, sessionsRevoked: sessions.length };
    });
  }

  unblock(phone: string, note: string | null, client: ClientInfo): Promise<{ wasBlocked: boolean }> {
    return this.dataSource.transaction(async (manager) => {
      const [removed] = await manager.query<[unknown[], number]>(
        'DELETE FROM phone_blocks WHERE phone_number = $1 RETURNING phone_number',
        [phone],
      );
      const wasBlocked = removed.length > 0;
      await this.audit.record(
        {
          type: AuditEventType.PhoneUnblocked,
          outcome: 'success',
          client,
          phoneNumber: phone,
          details: { note, was_blocked: wasBlocked },
        },
        manager,
      );
      return { wasBlocked };
    });
  }
}
