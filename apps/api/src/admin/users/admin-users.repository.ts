import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { AuditEventType, AuditService } from '@app/audit';
import { SessionRepository } from '@app/auth';
import type { ClientInfo } from '@app/common';
import { DataSource } from 'typeorm';

/** The operators' actions on a user (SPEC §7), each one transaction with its audit events. */
@Injectable()
export class AdminUsersRepository {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly sessions: SessionRepository,
    private readonly audit: AuditService,
  ) {}

  /** Ends every active session of the user; null when there is no such user. */
  revokeSessions(userId: string, note: string | null, client: ClientInfo): Promise<{ sessionsRevoked: number } | null> {
    return this.dataSource.transaction(async (manager) => {
      const [user] = await manager.query<{ phone_number: string }[]>('SELECT phone_number FROM users WHERE id = $1', [
        userId,
      ]);
      if (!user) return null;
      const sessionsRevoked = await this.sessions.revokeSessions({ userId }, 'operator', client, manager);
      await this.audit.record(
        {
          type: AuditEventType.UserSessionsRevoked,
          outcome: 'success',
          client,
          phoneNumber: user.phone_number,
          userId,
          details: { note, sessions_revoked: sessionsRevoked },
        },
        manager,
      );
      return { sessionsRevoked };
    });
  }
}
