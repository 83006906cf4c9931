import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { FRAUD_BASELINE_MAX_DAYS, FRAUD_BREAKER_MAX_WINDOW } from '@app/config';

/** Retention's DDL waits at most this long for audit_events' lock, so that it never stalls the writes behind it. */
const LOCK_TIMEOUT = '5s';

/** The fraud guard's tables swept by ranges of pages (they have no index on what ages their rows). */
export type SweptFraudTable = 'fraud_sent_counts' | 'fraud_verified_counts' | 'fraud_subjects' | 'fraud_conversions';

export interface CreatedPartition {
  name: string;
  /** Rows of its month moved into it from the default partition. */
  movedRows: number;
}

export interface DroppedPartition {
  name: string;
  from: Date;
  to: Date;
  rows: number;
}

/** The fraud guard's longest windows (sms_auth_fraud_verdict, FraudGuardFunctions) and a margin beyond them. */
const FRAUD_MARGIN = "interval '3 days'";
/** Hourly buckets are read for 24 h (rules 1–3; the spend of the UTC day is within them). */
const HOURLY_BUCKETS_EXPIRED = `bucket < date_trunc('hour', now(), 'UTC') - interval '24 hours' - ${FRAUD_MARGIN}`;
/** Daily verified buckets: the baseline of rule 2 reads FRAUD_BASELINE_DAYS, at most FRAUD_BASELINE_MAX_DAYS. */
const DAILY_BUCKETS_EXPIRED = `bucket < date_trunc('day', now(), 'UTC')
  - make_interval(days => ${FRAUD_BASELINE_MAX_DAYS}) - ${FRAUD_MARGIN}`;
/**
 * The breaker (rule 5) reads a prefix's conversions from greatest(window_start, sends - FRAUD_BREAKER_WINDOW) on,
 * and both only grow; below that with the largest window allowed, nothing reads a row again. A
 * conversion without its prefix's row is dead too: a new row starts the sequence at 0 again.
 */
const CONVERSION_DEAD = `NOT EXISTS (SELECT 1 FROM fraud_subjects f
  WHERE f.scope = 'prefix' AND f.key = c.prefix
    AND c.seq >= greatest(f.window_start, f.sends - ${FRAUD_BREAKER_MAX_WINDOW}))`;

const PAGE_RANGE = (alias: string) => `${alias}.ctid >= format('(%s,0)', $1::bigint)::tid
  AND ${alias}.ctid < format('(%s,0)', $2::bigint)::tid`;

/** $1, $2: the range of pages; $3: how long a prefix must have been idle, in days (NULL: prefixes are kept). */
const IDLE_SUBJECTS_SQL = `
  WITH idle AS (
    SELECT f.scope, f.key FROM fraud_subjects f
     WHERE ${PAGE_RANGE('f')}
       AND ((f.scope = 'ip' AND f.updated_at < now() - interval '24 hours' - ${FRAUD_MARGIN})
         OR (f.scope = 'prefix' AND f.updated_at < now() - make_interval(days => $3::integer)
             AND (f.blocked_until IS NULL OR f.blocked_until < now())))
       FOR UPDATE SKIP LOCKED),
  subjects AS (DELETE FROM fraud_subjects f USING idle WHERE f.scope = idle.scope AND f.key = idle.key
               RETURNING f.scope, f.key),
  conversions AS (DELETE FROM fraud_conversions c USING subjects s
                   WHERE s.scope = 'prefix' AND c.prefix = s.key RETURNING 1)
  SELECT (SELECT count(*) FROM subjects)::integer AS subjects, (SELECT count(*) FROM conversions)::integer
    AS conversions`;

const SWEEP_SQL: Record<Exclude<SweptFraudTable, 'fraud_subjects'>, string> = {
  fraud_sent_counts: `DELETE FROM fraud_sent_counts c WHERE ${PAGE_RANGE('c')} AND ${HOURLY_BUCKETS_EXPIRED}`,
  fraud_verified_counts: `DELETE FROM fraud_verified_counts c WHERE ${PAGE_RANGE('c')}
    AND CASE WHEN c.scope = 'country_day' THEN ${DAILY_BUCKETS_EXPIRED} ELSE ${HOURLY_BUCKETS_EXPIRED} END`,
  fraud_conversions: `DELETE FROM fraud_conversions c WHERE ${PAGE_RANGE('c')} AND ${CONVERSION_DEAD}`,
};

/**
 * The statements of data retention. Each is short and its own transaction: a batch of rows by an index, or a
 * range of pages (a TID range scan) where no index fits, so that nothing holds locks for long.
 */
@Injectable()
export class RetentionRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** sms_auth_audit_ensure_partitions (migration PartitionAuditEvents). */
  ensureAuditPartitions(monthsAhead: number): Promise<CreatedPartition[]> {
    return this.withLockTimeout(async (manager) => {
      const rows = await manager.query<{ partition_name: string; moved_rows: string }[]>(
        'SELECT partition_name, moved_rows FROM sms_auth_audit_ensure_partitions($1)',
        [monthsAhead],
      );
      return rows.map((row) => ({ name: row.partition_name, movedRows: Number(row.moved_rows) }));
    });
  }

  /** sms_auth_audit_drop_partitions: each dropped month and its audit event commit together. */
  dropExpiredAuditPartitions(retentionDays: number): Promise<DroppedPartition[]> {
    return this.withLockTimeout(async (manager) => {
      const rows = await manager.query<
        { partition_name: string; range_from: Date; range_to: Date; dropped_rows: string }[]
      >('SELECT partition_name, range_from, range_to, dropped_rows FROM sms_auth_audit_drop_partitions($1)', [
        retentionDays,
      ]);
      return rows.map((row) => ({
        name: row.partition_name,
        from: row.range_from,
        to: row.range_to,
        rows: Number(row.dropped_rows),
      }));
    });
  }

  /** Deletes up to `limit` codes created more than `days` ago, oldest first, with their delivery rows. */
  async deleteExpiredCodes(days: number, limit: number): Promise<{ codes: number; deliveries: number }> {
    const [row] = await this.dataSource.query<{ codes: number; deliveries: number }[]>(
      `WITH batch AS (
         SELECT v.id FROM sms_verifications v WHERE v.created_at < now() - make_interval(days => $1)
          ORDER BY v.created_at LIMIT $2 FOR UPDATE SKIP LOCKED),
       deliveries AS (DELETE FROM sms_deliveries d USING batch WHERE d.verification_id = batch.id RETURNING 1),
       codes AS (DELETE FROM sms_verifications v USING batch WHERE v.id = batch.id RETURNING 1)
       SELECT (SELECT count(*) FROM codes)::integer AS codes, (SELECT count(*) FROM deliveries)::integer AS deliveries`,
      [days, limit],
    );
    return row;
  }

  /** Deletes up to `limit` fraud guard decisions taken more than `days` ago, oldest first. */
  async deleteExpiredFraudDecisions(days: number, limit: number): Promise<number> {
    const [row] = await this.dataSource.query<{ deleted: number }[]>(
      `WITH batch AS (
         SELECT d.id FROM fraud_decisions d WHERE d.created_at < now() - make_interval(days => $1)
          ORDER BY d.created_at, d.id LIMIT $2 FOR UPDATE SKIP LOCKED),
       deleted AS (DELETE FROM fraud_decisions d USING batch WHERE d.id = batch.id RETURNING 1)
       SELECT count(*)::integer AS deleted FROM deleted`,
      [days, limit],
    );
    return row.deleted;
  }

  /** The table's size in pages now (rows added later are young: a sweep need not reach them). */
  async pageCount(table: SweptFraudTable): Promise<number> {
    const [row] = await this.dataSource.query<{ pages: string }[]>(
      `SELECT pg_relation_size($1::regclass) / current_setting('block_size')::integer AS pages`,
      [table],
    );
    return Number(row.pages);
  }

  /** Deletes the rows in pages [fromPage, toPage) of a counter or conversion table that no rule reads again. */
  async sweepFraudPages(
    table: Exclude<SweptFraudTable, 'fraud_subjects'>,
    fromPage: number,
    toPage: number,
  ): Promise<number> {
    const [, deleted] = await this.dataSource.query<[unknown, number]>(SWEEP_SQL[table], [fromPage, toPage]);
    return deleted;
  }

  /**
   * Deletes idle subjects in pages [fromPage, toPage): IPs whose figures are all outside every window, and, when
   * `prefixIdleDays` is set, prefixes neither counted nor blocked for that long, with their conversions (their
   * breaker window starts afresh, as after a lift). Countries are kept: a handful of rows, and always in use.
   */
  async sweepIdleFraudSubjects(
    fromPage: number,
    toPage: number,
    prefixIdleDays: number | null,
  ): Promise<{ subjects: number; conversions: number }> {
    const [row] = await this.dataSource.query<{ subjects: number; conversions: number }[]>(IDLE_SUBJECTS_SQL, [
      fromPage,
      toPage,
      prefixIdleDays,
    ]);
    return row;
  }

  private withLockTimeout<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(async (manager) => {
      await manager.query(`SET LOCAL lock_timeout = '${LOCK_TIMEOUT}'`);
      return work(manager);
    });
  }
}
