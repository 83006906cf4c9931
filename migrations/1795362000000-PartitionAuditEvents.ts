import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * audit_events partitioned by month of occurred_at (UTC), so that retention removes whole months with DROP TABLE
 * instead of DELETE, which the append-only guard refuses. Existing rows are copied, with their ids, into one
 * partition per month that holds rows; the identity goes on from where it was.
 *
 * - Partitions are `audit_events_YYYY_MM`, [first of the month, first of the next) in UTC, created ahead of time
 *   by sms_auth_audit_ensure_partitions (the retention job calls it daily). `audit_events_default` takes any row
 *   without a partition, so an insert never fails; the ensure function moves such rows into the partition of
 *   their month when it creates it (for every month up to its horizon that holds any), so the default partition
 *   only ever keeps rows dated beyond the horizon.
 * - The guard: the row trigger on the parent (BEFORE UPDATE OR DELETE) is cloned by Postgres onto every
 *   partition, present and future, the default one included. A TRUNCATE trigger is not inherited: each partition
 *   gets its own when it is created (here and by the ensure function), besides the parent's.
 * - sms_auth_audit_drop_partitions drops the partitions whose whole range is older than the retention, each with
 *   an `audit_partition_dropped` event in the same transaction. The default partition is never dropped.
 * - The primary key of a partitioned table must include the partition key: (id, occurred_at). Ids stay unique:
 *   only the identity assigns them (GENERATED ALWAYS), and the admin list still pages by id, through each
 *   partition's (…, id) indexes.
 */

/** Months after the current one whose partitions this creates in advance (then the retention job keeps it so). */
const AUDIT_PARTITIONS_AHEAD = 3;

const COLUMNS =
  'id, occurred_at, type, outcome, phone_number, user_id, verification_id, session_id, provider, ip, user_agent, ' +
  'details';

const COLUMN_DEFINITIONS = `
  "id" bigint GENERATED ALWAYS AS IDENTITY NOT NULL,
  "occurred_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
  "type" character varying(48) NOT NULL,
  "outcome" character varying(16) NOT NULL,
  "phone_number" character varying(16),
  "user_id" uuid,
  "verification_id" uuid,
  "session_id" uuid,
  "provider" character varying(32),
  "ip" character varying(64),
  "user_agent" character varying(512),
  "details" jsonb NOT NULL`;

const INDEXES = [
  `CREATE INDEX "idx_audit_events_user_id_id" ON "audit_events" ("user_id", "id")`,
  `CREATE INDEX "idx_audit_events_phone_id" ON "audit_events" ("phone_number", "id")`,
  `CREATE INDEX "idx_audit_events_type_id" ON "audit_events" ("type", "id")`,
  `CREATE INDEX "idx_audit_events_occurred_at" ON "audit_events" ("occurred_at")`,
];

const DROP_INDEXES = [
  'DROP INDEX "idx_audit_events_user_id_id"',
  'DROP INDEX "idx_audit_events_phone_id"',
  'DROP INDEX "idx_audit_events_type_id"',
  'DROP INDEX "idx_audit_events_occurred_at"',
];

const GUARD_TRIGGERS = [
  `CREATE TRIGGER audit_events_no_update_delete BEFORE UPDATE OR DELETE ON "audit_events"
     FOR EACH ROW EXECUTE FUNCTION audit_events_refuse_change()`,
  `CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON "audit_events"
     FOR EACH STATEMENT EXECUTE FUNCTION audit_events_refuse_change()`,
];

const FUNCTIONS = [
  /*
   * Creates the partition of the UTC month holding p_month, unless it exists; answers its name and the rows moved
   * into it from the default partition (NULL when it existed). Rows of that month in the default partition would
   * make a plain CREATE … PARTITION OF fail: the default partition is detached (and so no longer guarded, nor
   * seen by inserts, which wait for this transaction's lock on audit_events), those rows go through the parent
   * into the new partition and leave the detached table, which is attached again.
   */
  `CREATE FUNCTION sms_auth_audit_create_partition(p_month timestamptz, OUT partition_name text,
     OUT moved_rows bigint) LANGUAGE plpgsql AS $$
   DECLARE
     month_start timestamptz := date_trunc('month', p_month, 'UTC');
     -- In UTC: a month added in the session's time zone would move the bound by a DST hour.
     month_end timestamptz := ((month_start AT TIME ZONE 'UTC') + interval '1 month') AT TIME ZONE 'UTC';
   BEGIN
     partition_name := 'audit_events_' || to_char(month_start AT TIME ZONE 'UTC', 'YYYY_MM');
     IF to_regclass(quote_ident(partition_name)) IS NOT NULL THEN
       partition_name := NULL;
       RETURN;
     END IF;
     IF EXISTS (SELECT 1 FROM audit_events_default d WHERE d.occurred_at >= month_start AND d.occurred_at < month_end)
     THEN
       ALTER TABLE audit_events DETACH PARTITION audit_events_default;
       EXECUTE format('CREATE TABLE %I PARTITION OF audit_events FOR VALUES FROM (%L) TO (%L)', partition_name,
         month_start, month_end);
       INSERT INTO audit_events (${COLUMNS}) OVERRIDING SYSTEM VALUE
       SELECT ${COLUMNS} FROM audit_events_default d
        WHERE d.occurred_at >= month_start AND d.occurred_at < month_end ORDER BY d.id;
       DELETE FROM audit_events_default d WHERE d.occurred_at >= month_start AND d.occurred_at < month_end;
       GET DIAGNOSTICS moved_rows = ROW_COUNT;
       ALTER TABLE audit_events ATTACH PARTITION audit_events_default DEFAULT;
     ELSE
       EXECUTE format('CREATE TABLE %I PARTITION OF audit_events FOR VALUES FROM (%L) TO (%L)', partition_name,
         month_start, month_end);
       moved_rows := 0;
     END IF;
     EXECUTE format('CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON %I
       FOR EACH STATEMENT EXECUTE FUNCTION audit_events_refuse_change()', partition_name);
   END
   $$`,

  /*
   * Makes sure the partitions of the current UTC month and the p_months_ahead after it exist, and those of any
   * earlier month that has rows in the default partition (moved into them). Answers the partitions created.
   */
  `CREATE FUNCTION sms_auth_audit_ensure_partitions(p_months_ahead integer)
     RETURNS TABLE (partition_name text, moved_rows bigint) LANGUAGE plpgsql AS $$
   DECLARE
     this_month timestamp := date_trunc('month', now() AT TIME ZONE 'UTC');
     horizon timestamptz := (this_month + make_interval(months => p_months_ahead + 1)) AT TIME ZONE 'UTC';
     candidate timestamptz;
     created record;
   BEGIN
     PERFORM pg_advisory_xact_lock(hashtext('sms_auth_audit_partitions'));
     FOR candidate IN
       SELECT m AT TIME ZONE 'UTC' FROM generate_series(this_month,
         this_month + make_interval(months => p_months_ahead), interval '1 month') AS g(m)
       UNION
       SELECT DISTINCT date_trunc('month', d.occurred_at, 'UTC') FROM audit_events_default d
        WHERE d.occurred_at < horizon
       ORDER BY 1
     LOOP
       SELECT * INTO created FROM sms_auth_audit_create_partition(candidate);
       IF created.partition_name IS NOT NULL THEN
         partition_name := created.partition_name;
         moved_rows := created.moved_rows;
         RETURN NEXT;
       END IF;
     END LOOP;
   END
   $$`,

  /*
   * Drops every partition whose whole range ended more than p_retention_days ago (never the default one), each
   * recorded as an audit_partition_dropped event in this transaction. Answers what was dropped. The range is
   * read from the catalog, so a partition's name decides nothing.
   */
  `CREATE FUNCTION sms_auth_audit_drop_partitions(p_retention_days integer)
     RETURNS TABLE (partition_name text, range_from timestamptz, range_to timestamptz, dropped_rows bigint)
     LANGUAGE plpgsql AS $$
   DECLARE
     cutoff timestamptz;
     expired record;
   BEGIN
     IF p_retention_days IS NULL OR p_retention_days < 1 THEN
       RAISE EXCEPTION 'audit retention must be at least one day (got %)', p_retention_days;
     END IF;
     cutoff := now() - make_interval(days => p_retention_days);
     PERFORM pg_advisory_xact_lock(hashtext('sms_auth_audit_partitions'));
     FOR expired IN
       SELECT c.relname::text AS name, bounds.m[1]::timestamptz AS range_from, bounds.m[2]::timestamptz AS range_to
         FROM pg_inherits i
         JOIN pg_class c ON c.oid = i.inhrelid
         CROSS JOIN LATERAL (SELECT regexp_match(pg_get_expr(c.relpartbound, c.oid),
           $re$^FOR VALUES FROM \\('([^']+)'\\) TO \\('([^']+)'\\)$re$) AS m) bounds
        WHERE i.inhparent = 'audit_events'::regclass AND bounds.m IS NOT NULL
          AND bounds.m[2]::timestamptz <= cutoff
        ORDER BY 2
     LOOP
       EXECUTE format('SELECT count(*) FROM %I', expired.name) INTO dropped_rows;
       EXECUTE format('DROP TABLE %I', expired.name);
       partition_name := expired.name;
       range_from := expired.range_from;
       range_to := expired.range_to;
       PERFORM sms_auth_audit('audit_partition_dropped', 'success', NULL, NULL, NULL, NULL, NULL, NULL, NULL,
         jsonb_build_object('partition', expired.name, 'from', sms_auth_iso(expired.range_from),
           'to', sms_auth_iso(expired.range_to), 'rows', dropped_rows, 'retention_days', p_retention_days));
       RETURN NEXT;
     END LOOP;
   END
   $$`,
];

const DROPPED_FUNCTIONS = [
  'sms_auth_audit_drop_partitions(integer)',
  'sms_auth_audit_ensure_partitions(integer)',
  'sms_auth_audit_create_partition(timestamptz)',
];

/** Points the identity of audit_events where the one of `from` (a sequence) stands. */
const continueIdentityFrom = (from: string) =>
  `SELECT setval(pg_get_serial_sequence('audit_events', 'id'), s.last_value, s.is_called) FROM "${from}" s`;

export class PartitionAuditEvents1795362000000 implements MigrationInterface {
  name = 'PartitionAuditEvents1795362000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('LOCK TABLE "audit_events" IN ACCESS EXCLUSIVE MODE');
    await queryRunner.query('ALTER TABLE "audit_events" RENAME TO "audit_events_unpartitioned"');
    await queryRunner.query('ALTER SEQUENCE "audit_events_id_seq" RENAME TO "audit_events_unpartitioned_id_seq"');
    await queryRunner.query(
      'ALTER TABLE "audit_events_unpartitioned" RENAME CONSTRAINT "PK_910f64d901a5c3e9878f0d4a407" ' +
        'TO "PK_audit_events_unpartitioned"',
    );
    for (const sql of DROP_INDEXES) await queryRunner.query(sql);

    await queryRunner.query(
      `CREATE TABLE "audit_events" (${COLUMN_DEFINITIONS},
        CONSTRAINT "PK_audit_events" PRIMARY KEY ("id", "occurred_at")) PARTITION BY RANGE ("occurred_at")`,
    );
    for (const sql of INDEXES) await queryRunner.query(sql);
    await queryRunner.query('CREATE TABLE "audit_events_default" PARTITION OF "audit_events" DEFAULT');
    for (const sql of GUARD_TRIGGERS) await queryRunner.query(sql);
    await queryRunner.query(`CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON "audit_events_default"
      FOR EACH STATEMENT EXECUTE FUNCTION audit_events_refuse_change()`);
    for (const sql of FUNCTIONS) await queryRunner.query(sql);

    await queryRunner.query(
      `SELECT sms_auth_audit_create_partition(m)
         FROM (SELECT DISTINCT date_trunc('month', occurred_at, 'UTC') AS m FROM "audit_events_unpartitioned") months
        ORDER BY m`,
    );
    await queryRunner.query('SELECT sms_auth_audit_ensure_partitions($1)', [AUDIT_PARTITIONS_AHEAD]);
    await queryRunner.query(
      `INSERT INTO "audit_events" (${COLUMNS}) OVERRIDING SYSTEM VALUE
       SELECT ${COLUMNS} FROM "audit_events_unpartitioned" ORDER BY id`,
    );
    await queryRunner.query(continueIdentityFrom('audit_events_unpartitioned_id_seq'));
    await queryRunner.query('DROP TABLE "audit_events_unpartitioned"');
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('LOCK TABLE "audit_events" IN ACCESS EXCLUSIVE MODE');
    for (const signature of DROPPED_FUNCTIONS) await queryRunner.query(`DROP FUNCTION ${signature}`);
    await queryRunner.query('ALTER TABLE "audit_events" RENAME TO "audit_events_partitioned"');
    await queryRunner.query('ALTER SEQUENCE "audit_events_id_seq" RENAME TO "audit_events_partitioned_id_seq"');
    await queryRunner.query(
      'ALTER TABLE "audit_events_partitioned" RENAME CONSTRAINT "PK_audit_events" TO "PK_audit_events_partitioned"',
    );
    for (const sql of DROP_INDEXES) await queryRunner.query(sql);

    await queryRunner.query(
      `CREATE TABLE "audit_events" (${COLUMN_DEFINITIONS},
        CONSTRAINT "PK_910f64d901a5c3e9878f0d4a407" PRIMARY KEY ("id"))`,
    );
    for (const sql of INDEXES) await queryRunner.query(sql);
    await queryRunner.query(
      `INSERT INTO "audit_events" (${COLUMNS}) OVERRIDING SYSTEM VALUE
       SELECT ${COLUMNS} FROM "audit_events_partitioned" ORDER BY id`,
    );
    await queryRunner.query(continueIdentityFrom('audit_events_partitioned_id_seq'));
    for (const sql of GUARD_TRIGGERS) await queryRunner.query(sql);
    // Its partitions go with it.
    await queryRunner.query('DROP TABLE "audit_events_partitioned"');
  }
}
