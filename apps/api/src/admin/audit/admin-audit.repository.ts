import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { SqlConditions } from '../sql-conditions';
import type { AuditRowDto } from './audit-row.dto';

export interface AuditFilter {
  type?: string;
  phone?: string;
  userId?: string;
  from?: Date;
  to?: Date;
  /** Exclusive keyset position: events with a smaller id. */
  beforeId?: string;
  limit: number;
}

/** Keyset pages of audit events, newest first by id; each filter has an index ending in id. */
@Injectable()
export class AdminAuditRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async page(filter: AuditFilter): Promise<{ rows: AuditRowDto[]; more: boolean }> {
    const sql = new SqlConditions();
    if (filter.type) sql.add((p) => `type = ${p}`, filter.type);
    if (filter.phone) sql.add((p) => `phone_number = ${p}`, filter.phone);
    if (filter.userId) sql.add((p) => `user_id = ${p}::uuid`, filter.userId);
    if (filter.from) sql.add((p) => `occurred_at >= ${p}`, filter.from);
    if (filter.to) sql.add((p) => `occurred_at < ${p}`, filter.to);
    if (filter.beforeId) sql.add((p) => `e.id < ${p}::bigint`, filter.beforeId);
    const limit = sql.param(filter.limit + 1);
    const rows = await this.dataSource.query<(Omit<AuditRowDto, 'occurred_at'> & { occurred_at: Date })[]>(
      // ORDER BY the table's bigint id: a bare "id" would name the text output column and sort as text.
      `SELECT e.id::text AS id, occurred_at, type, outcome, phone_number, user_id, verification_id, session_id,
        provider, ip, user_agent, details
         FROM audit_events e
        ${sql.where()}
        ORDER BY e.id DESC
        LIMIT ${limit}`,
      sql.params,
    );
    return {
      rows: rows
        .slice(0, filter.limit)
        .map((row) => ({ ...row, occurred_at: new Date(row.occurred_at).toISOString() })),
      more: rows.length > filter.limit,
    };
  }
}
