import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { AuditEventType, AuditService } from '@app/audit';
import type { ClientInfo } from '@app/common';
import { DataSource } from 'typeorm';
import { revokeActiveSessions } from './revoke-sessions';

/** The operators' actions on a user (SPEC §7), each one transaction with its audit events. */
@Injectable()
export class AdminUsersRepository {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly audit: AuditService,
  ) {}

  /** Ends every active session of the user; null when there is no such user. */
  revokeSessions(userId: string, note: string | null, client: ClientInfo): Promise<{ sessionsRevoked: number } | null> {
    return this.dataSource.transaction(async (manager) => {
      const [user] = await manager.query<{ phone_number: string }[]>('SELECT phone_number FROM users WHERE id = $1', [
        userId,
      ]);
      if (!user) return null;
      const { sessions, events } = await revokeActiveSessions(manager, 'u.id = $1', userId, 'operator', client);
      await this.audit.recordMany(
        [
          ...events,
          {
            type: AuditEventType.UserSessionsRevoked,
            outcome: 'success',
            client,
            phoneNumber: user.phone_number,
            userId,
            details: { note, sessions_revoked: sessions.length },
          },
        ],
        manager,
      );
      return { sessionsRevoked: sessions.length };
    });
  }
}
