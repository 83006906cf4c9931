import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AuditEventType, AuditService } from '@app/audit';
import type { ClientInfo } from '@app/common';
import { SqlConditions } from '../sql-conditions';
import type { FraudCountDto, FraudDecisionDto, PrefixBlockDto } from './fraud-decision.dto';

export interface FraudDecisionFilter {
  action?: string;
  rule?: string;
  country?: string;
  prefix?: string;
  ip?: string;
  from: Date;
  to: Date;
  /** Exclusive keyset position: rows strictly older than (created_at, id). */
  after?: { createdAt: string; id: string };
  limit: number;
}

type DecisionRow = Omit<FraudDecisionDto, 'created_at'> & { created_at: Date; cursor_created_at: string };

const iso = (value: Date) => new Date(value).toISOString();

/**
 * The fraud guard's rows for operators (SPEC §10): decisions newest first, keyset-paginated on (created_at, id)
 * (blocked ones have an index of their own; the other filters narrow within the time window), the active
 * prefix breakers, and lifting one.
 */
@Injectable()
export class AdminFraudRepository {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly audit: AuditService,
  ) {}

  async decisions(
    filter: FraudDecisionFilter,
  ): Promise<{ rows: FraudDecisionDto[]; last?: { createdAt: string; id: string }; more: boolean }> {
    const sql = new SqlConditions().add(
      (from, to) => `d.created_at >= ${from} AND d.created_at < ${to}`,
      filter.from,
      filter.to,
    );
    if (filter.action) sql.add((p) => `d.action = ${p}`, filter.action);
    if (filter.rule) sql.add((p) => `d.rule = ${p}`, filter.rule);
    if (filter.country) sql.add((p) => `d.country = ${p}`, filter.country.toUpperCase());
    if (filter.prefix) sql.add((p) => `d.prefix = ${p}`, filter.prefix);
    if (filter.ip) sql.add((p) => `d.ip = ${p}`, filter.ip);
    if (filter.after)
      sql.add(
        (time, id) => `(d.created_at, d.id) < (${time}::timestamptz, ${id}::bigint)`,
        filter.after.createdAt,
        filter.after.id,
      );
    const limit = sql.param(filter.limit + 1);
    const rows = await this.dataSource.query<DecisionRow[]>(
      `SELECT d.id::text AS id, d.created_at, d.verification_id, d.phone_number, d.ip, d.country, d.prefix, d.mode,
              d.action, d.rule, d.bypass, d.retry_after, d.estimated_cost::text AS estimated_cost, d.rules,
              to_char(d.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS cursor_created_at
         FROM fraud_decisions d
        ${sql.where()}
        ORDER BY d.created_at DESC, d.id DESC
        LIMIT ${limit}`,
      sql.params,
    );
    const more = rows.length > filter.limit;
    const page = rows.slice(0, filter.limit);
    const last = page.at(-1);
    return {
      rows: page.map(({ cursor_created_at: _cursor, ...row }) => ({ ...row, created_at: iso(row.created_at) })),
      last: last ? { createdAt: last.cursor_created_at, id: last.id } : undefined,
      more,
    };
  }

  async activeBlocks(): Promise<PrefixBlockDto[]> {
    const rows = await this.dataSource.query<{ key: string; blocked_at: Date; blocked_until: Date }[]>(
      `SELECT key, blocked_at, blocked_until FROM fraud_subjects
        WHERE scope = 'prefix' AND blocked_until > now() ORDER BY blocked_at DESC, key`,
    );
    return rows.map((row) => ({
      prefix: row.key,
      blocked_at: iso(row.blocked_at),
      blocked_until: iso(row.blocked_until),
    }));
  }

  /** How many prefixes the breaker blocks now (the partial index on blocked_until keeps it cheap). */
  async activeBlockCount(): Promise<number> {
    const [row] = await this.dataSource.query<{ n: number }[]>(
      `SELECT count(*)::int AS n FROM fraud_subjects WHERE scope = 'prefix' AND blocked_until > now()`,
    );
    return row.n;
  }

  /**
   * Ends a prefix's breaker, with its audit event, in one transaction; the breaker's window starts afresh (else
   * the next send would trip it again). Null when the prefix has no active block.
   */
  lift(prefix: string, note: string | null, client: ClientInfo): Promise<{ blockedUntil: string } | null> {
    return this.dataSource.transaction(async (manager) => {
      const [lifted] = await manager.query<[{ blocked_until: Date }[], number]>(
        `WITH active AS (
           SELECT scope, key, blocked_until FROM fraud_subjects
            WHERE scope = 'prefix' AND key = $1 AND blocked_until > now() FOR UPDATE)
         UPDATE fraud_subjects f SET blocked_until = NULL, window_start = f.sends, updated_at = now()
           FROM active WHERE f.scope = active.scope AND f.key = active.key
         RETURNING active.blocked_until`,
        [prefix],
      );
      if (lifted.length === 0) return null;
      const blockedUntil = iso(lifted[0].blocked_until);
      await this.audit.record(
        {
          type: AuditEventType.FraudPrefixUnblocked,
          outcome: 'success',
          client,
          details: { prefix, blocked_until: blockedUntil, note },
        },
        manager,
      );
      return { blockedUntil };
    });
  }

  async summary(
    from: Date,
    to: Date,
  ): Promise<{
    allowed: number;
    byRule: FraudCountDto[];
    byCountry: FraudCountDto[];
    activeBlocks: number;
    moneyNotSpent: string;
  }> {
    const [totals] = await this.dataSource.query<{ allowed: number; money_not_spent: string }[]>(
      `SELECT count(*) FILTER (WHERE action = 'allowed')::int AS allowed,
              coalesce(sum(estimated_cost) FILTER (WHERE action = 'blocked' AND mode = 'enforce'), 0)::text
                AS money_not_spent
         FROM fraud_decisions WHERE created_at >= $1 AND created_at < $2`,
      [from, to],
    );
    const counts = (column: 'rule' | 'country') =>
      this.dataSource.query<FraudCountDto[]>(
        `SELECT coalesce(${column}, 'unknown') AS key,
                count(*) FILTER (WHERE mode = 'enforce')::int AS blocked,
                count(*) FILTER (WHERE mode = 'record')::int AS flagged
           FROM fraud_decisions
          WHERE action = 'blocked' AND created_at >= $1 AND created_at < $2
          GROUP BY 1 ORDER BY count(*) DESC, 1`,
        [from, to],
      );
    const [byRule, byCountry, activeBlocks] = await Promise.all([
      counts('rule'),
      counts('country'),
      this.activeBlockCount(),
    ]);
    return {
      allowed: totals.allowed,
      byRule,
      byCountry,
      activeBlocks,
      moneyNotSpent: totals.money_not_spent,
    };
  }
}
