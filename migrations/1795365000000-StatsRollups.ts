import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * Statistics from rollups (issue 14). The figures of a code are a function of its row alone: its hour
 * (created_at), provider, channel, country, and what happened to it. A row trigger on sms_verifications appends,
 * in the statement that changes a code, its figures as they were (signed -1) and as they are (+1) to
 * stats_code_deltas (one row of the differences when its keys stay); row triggers on sms_deliveries append each
 * attempt's cost the same way to stats_cost_deltas, under its code's keys. Appending takes no lock another request
 * waits on (a counter row per hour and country would serialise every send of that country).
 * sms_auth_stats_fold() moves the deltas into the hourly and daily rollups, by a job; /admin/stats reads the
 * rollups plus the deltas not folded yet, so the figures are exact whenever the fold runs. Deleting old codes
 * (retention) fires nothing: their rollups stay.
 *
 * The channel of a code (the attempt that delivered it, else the last accepted one) depends on its attempts;
 * `sms_verifications.channel` keeps it, NULL while it is the default (`sms` once a provider took the code, else
 * `none`). The attempts' triggers run BEFORE each row, which sees the rows its statement wrote before it and not
 * itself: the channel is set first (the code's update then moves the costs recorded so far), then the attempt's
 * cost is added under the code's keys as they now are, so every cost is recorded once under the right keys.
 *
 * A code's figures: requested 1; sent when a provider took it; delivered, failed, verified, expired (status
 * expired), pending, max_attempts; the bucket of its seconds-to-verify. An attempt's: per delivery provider and
 * stated currency ('-' when no cost was stated, '' when stated without a currency) 1 attempt, accepted when it
 * has a vendor message id, and the stated cost. Pending codes count as expired once their hour is older than
 * the longest TTL (the reader's part).
 */
export const VERIFY_SECONDS_EDGES = [
  0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 14, 16, 18, 20, 25, 30, 35, 40, 45, 50, 55, 60, 70, 80, 90, 100, 110, 120, 150,
  180, 210, 240, 270, 300, 360, 420, 480, 540, 600,
];

/** The rollups' columns of the histogram: codes verified within bucket i (1-based) of VERIFY_SECONDS_EDGES. */
export const VERIFY_BUCKET_COLUMNS = VERIFY_SECONDS_EDGES.map((_, i) => `verify_seconds_${i + 1}`);

const EDGES_SQL = `ARRAY[${VERIFY_SECONDS_EDGES.join(',')}]::numeric[]`;
const ORIGIN = `timestamptz '2000-01-01 00:00:00+00'`;
const DAY_OR_HOUR = `CASE p.period WHEN 'hour' THEN m.bucket ELSE date_bin('1 day', m.bucket, ${ORIGIN}) END`;

export const CODE_COUNTERS = [
  'requested',
  'sent',
  'delivered',
  'failed',
  'verified',
  'expired',
  'pending',
  'max_attempts',
];
export const CODE_KEYS = ['bucket', 'provider', 'channel', 'country'];
const COST_COLUMNS = [...CODE_KEYS, 'delivery_provider', 'currency', 'deliveries', 'accepted', 'stated_cost'];

/** The channel a code counts under while no accepted attempt says otherwise. */
const defaultChannelOf = (row: string) => `CASE WHEN ${row}.provider IS NOT NULL THEN 'sms' ELSE 'none' END`;

/** A code row's channel: the one its attempts set, else the default. */
const channelOf = (row: string) => `coalesce(${row}.channel, ${defaultChannelOf(row)})`;

/** A code row's keys, in the order of CODE_KEYS: hour, provider, channel, country ('' for none). */
export const keyListOf = (row: string) => [
  `date_bin('1 hour', ${row}.created_at, ${ORIGIN})`,
  `coalesce(${row}.provider, '')`,
  channelOf(row),
  `coalesce(${row}.country, '')`,
];
const keysOf = (row: string) => keyListOf(row).join(', ');

/** A code row's counters, in the order of CODE_COUNTERS: each 0 or 1. */
export const countersOf = (row: string) => [
  '1',
  `(${row}.provider IS NOT NULL)::int`,
  `coalesce(${row}.delivery_status IN ('delivered', 'read'), false)::int`,
  `coalesce(${row}.status = 'failed' OR ${row}.delivery_status IN ('failed', 'expired'), false)::int`,
  `(${row}.status = 'approved')::int`,
  `(${row}.status = 'expired')::int`,
  `(${row}.status = 'pending')::int`,
  `(${row}.status = 'max_attempts_reached')::int`,
];

/** A code row's seconds-to-verify bucket (1-based), NULL unless it was verified. */
export const verifyBucketOf = (row: string) =>
  `CASE WHEN ${row}.status = 'approved' AND ${row}.verified_at IS NOT NULL THEN
     greatest(1, width_bucket(extract(epoch FROM ${row}.verified_at - ${row}.created_at), ${EDGES_SQL}))::smallint END`;

/** The select list of a code row's figures in stats_code_deltas, times `sign`. */
const figuresOf = (row: string, sign: number) =>
  `${keysOf(row)}, ${countersOf(row)
    .map((counter) => `${sign} * ${counter}`)
    .join(', ')}, ${verifyBucketOf(row)}`;

/** NEW's counters minus OLD's. */
const COUNTER_CHANGES = countersOf('NEW').map((counter, i) => `${counter} - ${countersOf('OLD')[i]}`);

/** The select list of an attempt row's cost figures (after its code's keys), times `sign`. */
const costOf = (row: string, sign: number) => `${row}.provider,
  CASE WHEN ${row}.cost IS NULL THEN '-' ELSE coalesce(${row}.cost_currency, '') END, ${sign},
  ${sign} * (${row}.provider_message_id IS NOT NULL)::int, ${sign} * coalesce(${row}.cost, 0)`;

const CODE_DELTA_COLUMNS = `${[...CODE_KEYS, ...CODE_COUNTERS].join(', ')}, verify_bucket`;

/** The columns of a code row that its figures depend on. */
const CODE_FIGURE_COLUMNS = [
  'created_at',
  'provider',
  'channel',
  'country',
  'status',
  'delivery_status',
  'verified_at',
];
const DELIVERY_COST_COLUMNS = ['provider', 'provider_message_id', 'cost', 'cost_currency'];
/** The columns of an attempt that its code's channel or its cost depend on. */
const DELIVERY_FIGURE_COLUMNS = ['verification_id', 'channel', 'status', 'attempt_number', ...DELIVERY_COST_COLUMNS];

/** Of a code's accepted attempts, the one whose channel it counts under: a delivered one, else the latest. */
const bestAttemptFirst = (row: string) => `${row}.status IN ('delivered', 'read') DESC, ${row}.attempt_number DESC`;

/** Whether the channel of the best attempt (`best`, NULL: none accepted) changes what `code` counts under. */
const CHANNEL_CHANGES = `coalesce(best, ${defaultChannelOf('code')}) IS DISTINCT FROM ${channelOf('code')}`;
const changed = (columns: string[]) =>
  `(${columns.map((c) => `OLD.${c}`).join(', ')}) IS DISTINCT FROM (${columns.map((c) => `NEW.${c}`).join(', ')})`;

/** The fold's histogram sums and its additions to an existing rollup row. */
const FOLDED_HISTOGRAM = VERIFY_BUCKET_COLUMNS.map(
  (_, i) => `coalesce(sum(m.verified) FILTER (WHERE m.verify_bucket = ${i + 1}), 0)`,
).join(', ');
const ADDED_TO_ROLLUP = [...CODE_COUNTERS, ...VERIFY_BUCKET_COLUMNS]
  .map((name) => `${name} = stats_rollups.${name} + EXCLUDED.${name}`)
  .join(', ');

/**
 * PL/pgSQL of an attempt's BEFORE trigger: locks its code into `code` (a concurrent change of the code's keys moves
 * the costs recorded under them: this waits for it), finds the best accepted attempt with NEW counted in place of
 * the row it replaces (`otherRows` leaves that row out), and sets the code's channel where it changes.
 */
const lockCodeAndSetChannel = (otherRows: string) => `
     SELECT * INTO code FROM sms_verifications v WHERE v.id = NEW.verification_id FOR NO KEY UPDATE;
     IF NOT FOUND THEN RETURN NEW; END IF;
     SELECT a.channel INTO best FROM (
       SELECT d.channel, d.status, d.attempt_number FROM sms_deliveries d
        WHERE d.verification_id = NEW.verification_id AND d.provider_message_id IS NOT NULL ${otherRows}
       UNION ALL
       SELECT NEW.channel, NEW.status, NEW.attempt_number WHERE NEW.provider_message_id IS NOT NULL) a
      ORDER BY ${bestAttemptFirst('a')} LIMIT 1;
     IF ${CHANNEL_CHANGES} THEN
       UPDATE sms_verifications v SET channel = best WHERE v.id = code.id RETURNING * INTO code;
     END IF;`;

const TABLES = [
  `ALTER TABLE sms_verifications ADD channel varchar(16)`,
  `CREATE TABLE stats_rollups (
     period text NOT NULL CHECK (period IN ('hour', 'day')),
     bucket timestamptz NOT NULL,
     provider text NOT NULL, channel text NOT NULL, country text NOT NULL,
     ${[...CODE_COUNTERS, ...VERIFY_BUCKET_COLUMNS].map((name) => `${name} bigint NOT NULL DEFAULT 0`).join(', ')},
     PRIMARY KEY (period, bucket, provider, channel, country))`,
  `CREATE TABLE stats_rollup_costs (
     period text NOT NULL CHECK (period IN ('hour', 'day')),
     bucket timestamptz NOT NULL,
     provider text NOT NULL, channel text NOT NULL, country text NOT NULL,
     delivery_provider text NOT NULL, currency text NOT NULL,
     deliveries bigint NOT NULL DEFAULT 0, accepted bigint NOT NULL DEFAULT 0, stated_cost numeric NOT NULL DEFAULT 0,
     PRIMARY KEY (period, bucket, provider, channel, country, delivery_provider, currency))`,
  // Append-only logs without indexes: an insert costs the least, the fold takes them all.
  `CREATE TABLE stats_code_deltas (
     bucket timestamptz NOT NULL,
     provider text NOT NULL, channel text NOT NULL, country text NOT NULL,
     ${CODE_COUNTERS.map((name) => `${name} integer NOT NULL`).join(', ')},
     verify_bucket smallint)`,
  `CREATE TABLE stats_cost_deltas (
     bucket timestamptz NOT NULL,
     provider text NOT NULL, channel text NOT NULL, country text NOT NULL,
     delivery_provider text NOT NULL, currency text NOT NULL,
     deliveries integer NOT NULL, accepted integer NOT NULL, stated_cost numeric NOT NULL)`,
];

const FUNCTIONS = [
  `CREATE FUNCTION sms_auth_stats_code_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
   BEGIN
     INSERT INTO stats_code_deltas (${CODE_DELTA_COLUMNS}) SELECT ${figuresOf('NEW', 1)};
     RETURN NULL;
   END
   $$`,

  /*
   * A code's figures move from what they were to what they are: one delta of the differences when its keys and
   * its histogram bucket stay (a verify: pending -1, verified +1 in its bucket), else its old figures taken away
   * and its new ones added; when its keys change, its attempts' costs move too.
   */
  `CREATE FUNCTION sms_auth_stats_code_updated() RETURNS trigger LANGUAGE plpgsql AS $$
   DECLARE
     old_bucket smallint := ${verifyBucketOf('OLD')};
     new_bucket smallint := ${verifyBucketOf('NEW')};
   BEGIN
     IF (${keysOf('OLD')}) IS NOT DISTINCT FROM (${keysOf('NEW')})
        -- One row of the differences carries the histogram's change only if it is "verified" in one bucket.
        AND (old_bucket IS NOT DISTINCT FROM new_bucket
             OR (old_bucket IS NULL AND OLD.status <> 'approved')
             OR (new_bucket IS NULL AND NEW.status <> 'approved')) THEN
       INSERT INTO stats_code_deltas (${CODE_DELTA_COLUMNS})
       SELECT * FROM (SELECT ${keysOf('NEW')}, ${COUNTER_CHANGES.join(', ')}, coalesce(new_bucket, old_bucket)) AS delta
        WHERE (${COUNTER_CHANGES.join(', ')}) <> (${COUNTER_CHANGES.map(() => '0').join(', ')});
       RETURN NULL;
     END IF;
     INSERT INTO stats_code_deltas (${CODE_DELTA_COLUMNS})
     SELECT ${figuresOf('OLD', -1)} UNION ALL SELECT ${figuresOf('NEW', 1)};
     IF (${keysOf('OLD')}) IS DISTINCT FROM (${keysOf('NEW')}) THEN
       INSERT INTO stats_cost_deltas (${COST_COLUMNS.join(', ')})
       SELECT ${keysOf('OLD')}, ${costOf('d', -1)} FROM sms_deliveries d WHERE d.verification_id = OLD.id
       UNION ALL
       SELECT ${keysOf('NEW')}, ${costOf('d', 1)} FROM sms_deliveries d WHERE d.verification_id = NEW.id;
     END IF;
     RETURN NULL;
   END
   $$`,

  /*
   * Before an attempt is written: the channel of its code with this attempt counted (a BEFORE row trigger sees
   * the rows its statement wrote before this one, not this one), set first where it changes what the code
   * counts under (an SMS code never needs it; the code's update then moves the costs recorded so far), then
   * this attempt's cost, under the code's keys as they now are.
   */
  `CREATE FUNCTION sms_auth_stats_attempt_inserting() RETURNS trigger LANGUAGE plpgsql AS $$
   DECLARE
     code sms_verifications;
     best text;
   BEGIN
${lockCodeAndSetChannel('')}
     INSERT INTO stats_cost_deltas (${COST_COLUMNS.join(', ')}) SELECT ${keysOf('code')}, ${costOf('NEW', 1)};
     RETURN NEW;
   END
   $$`,

  /* The same before an attempt's update: its old cost taken away and its new one added. */
  `CREATE FUNCTION sms_auth_stats_attempt_updating() RETURNS trigger LANGUAGE plpgsql AS $$
   DECLARE
     code sms_verifications;
     best text;
   BEGIN
     IF NEW.verification_id IS DISTINCT FROM OLD.verification_id THEN
       RAISE EXCEPTION 'a delivery attempt stays with its code' USING ERRCODE = 'integrity_constraint_violation';
     END IF;
${lockCodeAndSetChannel('AND d.id <> OLD.id')}
     IF ${changed(DELIVERY_COST_COLUMNS)} THEN
       INSERT INTO stats_cost_deltas (${COST_COLUMNS.join(', ')})
       SELECT ${keysOf('code')}, ${costOf('OLD', -1)} UNION ALL SELECT ${keysOf('code')}, ${costOf('NEW', 1)};
     END IF;
     RETURN NEW;
   END
   $$`,

  /*
   * Moves the deltas written so far into the hourly and daily rollups. One fold at a time (the lock keeps a
   * manual call from overlapping the job); a delta leaves the log in the statement that adds it to a rollup.
   */
  `CREATE FUNCTION sms_auth_stats_fold() RETURNS integer LANGUAGE plpgsql AS $$
   DECLARE
     folded integer;
     folded_costs integer;
   BEGIN
     PERFORM pg_advisory_xact_lock(hashtextextended('sms_auth_stats_fold', 0));
     WITH moved AS (DELETE FROM stats_code_deltas RETURNING *)
     INSERT INTO stats_rollups (period, ${CODE_KEYS.join(', ')}, ${CODE_COUNTERS.join(', ')},
       ${VERIFY_BUCKET_COLUMNS.join(', ')})
     SELECT p.period, ${DAY_OR_HOUR}, m.provider, m.channel, m.country,
            ${CODE_COUNTERS.map((name) => `sum(m.${name})`).join(', ')},
            ${FOLDED_HISTOGRAM}
       FROM moved m CROSS JOIN (VALUES ('hour'), ('day')) AS p(period)
      GROUP BY 1, 2, 3, 4, 5
      ORDER BY 1, 2, 3, 4, 5
     ON CONFLICT (period, ${CODE_KEYS.join(', ')}) DO UPDATE
        SET ${ADDED_TO_ROLLUP};
     GET DIAGNOSTICS folded = ROW_COUNT;
     WITH moved AS (DELETE FROM stats_cost_deltas RETURNING *)
     INSERT INTO stats_rollup_costs (period, ${COST_COLUMNS.join(', ')})
     SELECT p.period, ${DAY_OR_HOUR}, m.provider, m.channel, m.country, m.delivery_provider, m.currency,
            sum(m.deliveries), sum(m.accepted), sum(m.stated_cost)
       FROM moved m CROSS JOIN (VALUES ('hour'), ('day')) AS p(period)
      GROUP BY 1, 2, 3, 4, 5, 6, 7
      ORDER BY 1, 2, 3, 4, 5, 6, 7
     ON CONFLICT (period, ${CODE_KEYS.join(', ')}, delivery_provider, currency) DO UPDATE
        SET deliveries = stats_rollup_costs.deliveries + EXCLUDED.deliveries,
            accepted = stats_rollup_costs.accepted + EXCLUDED.accepted,
            stated_cost = stats_rollup_costs.stated_cost + EXCLUDED.stated_cost;
     GET DIAGNOSTICS folded_costs = ROW_COUNT;
     RETURN folded + folded_costs;
   END
   $$`,
];

const TRIGGERS = [
  `CREATE TRIGGER stats_code_inserted AFTER INSERT ON sms_verifications
     FOR EACH ROW EXECUTE FUNCTION sms_auth_stats_code_inserted()`,
  `CREATE TRIGGER stats_code_updated AFTER UPDATE ON sms_verifications
     FOR EACH ROW WHEN (${changed(CODE_FIGURE_COLUMNS)}) EXECUTE FUNCTION sms_auth_stats_code_updated()`,
  `CREATE TRIGGER stats_attempt_inserting BEFORE INSERT ON sms_deliveries
     FOR EACH ROW EXECUTE FUNCTION sms_auth_stats_attempt_inserting()`,
  `CREATE TRIGGER stats_attempt_updating BEFORE UPDATE ON sms_deliveries
     FOR EACH ROW WHEN (${changed(DELIVERY_FIGURE_COLUMNS)}) EXECUTE FUNCTION sms_auth_stats_attempt_updating()`,
];

/**
 * The rollups of the codes and attempts already there, folded: run before the triggers exist (or with them
 * off: `npm run bench:admin-queries` seeds so), they start exact.
 */
export const STATS_BACKFILL = [
  `UPDATE sms_verifications v SET channel = a.channel
     FROM (SELECT DISTINCT ON (d.verification_id) d.verification_id AS id, d.channel FROM sms_deliveries d
            WHERE d.provider_message_id IS NOT NULL
            ORDER BY d.verification_id, ${bestAttemptFirst('d')}) a
    WHERE v.id = a.id AND a.channel IS DISTINCT FROM ${channelOf('v')}`,
  `INSERT INTO stats_code_deltas (${CODE_DELTA_COLUMNS}) SELECT ${figuresOf('v', 1)} FROM sms_verifications v`,
  `INSERT INTO stats_cost_deltas (${COST_COLUMNS.join(', ')})
   SELECT ${keysOf('v')}, ${costOf('d', 1)} FROM sms_deliveries d JOIN sms_verifications v ON v.id = d.verification_id`,
  `SELECT sms_auth_stats_fold()`,
];

export class StatsRollups1795365000000 implements MigrationInterface {
  name = 'StatsRollups1795365000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    for (const statement of [...TABLES, ...FUNCTIONS, ...STATS_BACKFILL, ...TRIGGERS])
      await queryRunner.query(statement);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    for (const trigger of [
      'stats_attempt_updating ON sms_deliveries',
      'stats_attempt_inserting ON sms_deliveries',
      'stats_code_updated ON sms_verifications',
      'stats_code_inserted ON sms_verifications',
    ])
      await queryRunner.query(`DROP TRIGGER ${trigger}`);
    for (const table of ['stats_cost_deltas', 'stats_code_deltas', 'stats_rollup_costs', 'stats_rollups'])
      await queryRunner.query(`DROP TABLE ${table}`);
    for (const fn of [
      'sms_auth_stats_fold()',
      'sms_auth_stats_attempt_updating()',
      'sms_auth_stats_attempt_inserting()',
      'sms_auth_stats_code_updated()',
      'sms_auth_stats_code_inserted()',
    ])
      await queryRunner.query(`DROP FUNCTION ${fn}`);
    await queryRunner.query('ALTER TABLE sms_verifications DROP COLUMN channel');
  }
}
