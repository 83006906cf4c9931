import { type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * Statistics from rollups (issue 14). Every write to sms_verifications or sms_deliveries adds, in the same
 * statement, the change it makes to the figures of its code: an AFTER … FOR EACH STATEMENT trigger computes each
 * touched code's figures before and after (sms_auth_stats_code, sms_auth_stats_costs) and appends the
 * difference to stats_code_deltas / stats_cost_deltas. Appending takes no lock another request waits on (a
 * counter row per hour and country would serialise every send of that country, and two batches touching two
 * countries in opposite orders would deadlock). sms_auth_stats_fold() moves the deltas into the hourly and daily
 * rollups, one statement per table, by a job; /admin/stats reads the rollups plus the deltas not folded yet, so
 * the figures are exact whenever the fold runs. Deleting old codes (retention) fires nothing: their rollups stay.
 *
 * A code's figures: requested 1; sent when a provider took it; delivered, failed, verified, expired (status
 * expired), pending, max_attempts; the histogram bucket of its seconds-to-verify; and per delivery provider and
 * stated currency ('-' when no cost was stated, '' when stated without a currency) its attempts, accepted
 * attempts and stated cost. Pending codes count as expired once their hour is older than the longest TTL.
 */
export const VERIFY_SECONDS_EDGES = [
  0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 14, 16, 18, 20, 25, 30, 35, 40, 45, 50, 55, 60, 70, 80, 90, 100, 110, 120, 150,
  180, 210, 240, 270, 300, 360, 420, 480, 540, 600,
];

const EDGES_SQL = `ARRAY[${VERIFY_SECONDS_EDGES.join(',')}]::numeric[]`;
const BUCKETS = VERIFY_SECONDS_EDGES.length;
const DAY_BIN = `date_bin('1 day', m.bucket, timestamptz '2000-01-01 00:00:00+00')`;
const DAY_OR_HOUR = `CASE p.period WHEN 'hour' THEN m.bucket ELSE ${DAY_BIN} END`;

const CODE_COUNTERS = ['requested', 'sent', 'delivered', 'failed', 'verified', 'expired', 'pending', 'max_attempts'];

const TABLES = [
  `CREATE TABLE stats_rollups (
     period text NOT NULL CHECK (period IN ('hour', 'day')),
     bucket timestamptz NOT NULL,
     provider text NOT NULL, channel text NOT NULL, country text NOT NULL,
     ${CODE_COUNTERS.map((name) => `${name} bigint NOT NULL DEFAULT 0`).join(', ')},
     verify_seconds bigint[] NOT NULL,
     PRIMARY KEY (period, bucket, provider, channel, country))`,
  `CREATE TABLE stats_rollup_costs (
     period text NOT NULL CHECK (period IN ('hour', 'day')),
     bucket timestamptz NOT NULL,
     provider text NOT NULL, channel text NOT NULL, country text NOT NULL,
     delivery_provider text NOT NULL, currency text NOT NULL,
     deliveries bigint NOT NULL DEFAULT 0, accepted bigint NOT NULL DEFAULT 0, stated_cost numeric NOT NULL DEFAULT 0,
     PRIMARY KEY (period, bucket, provider, channel, country, delivery_provider, currency))`,
  `CREATE TABLE stats_code_deltas (
     id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
     bucket timestamptz NOT NULL,
     provider text NOT NULL, channel text NOT NULL, country text NOT NULL,
     ${CODE_COUNTERS.map((name) => `${name} integer NOT NULL`).join(', ')},
     verify_seconds bigint[] NOT NULL)`,
  `CREATE TABLE stats_cost_deltas (
     id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
     bucket timestamptz NOT NULL,
     provider text NOT NULL, channel text NOT NULL, country text NOT NULL,
     delivery_provider text NOT NULL, currency text NOT NULL,
     deliveries integer NOT NULL, accepted integer NOT NULL, stated_cost numeric NOT NULL)`,
];

const FUNCTIONS = [
  /* The lower edges of the seconds-to-verify buckets; the last bucket is open. The reader interpolates in them. */
  `CREATE FUNCTION sms_auth_stats_verify_edges() RETURNS numeric[] LANGUAGE sql IMMUTABLE AS $$ SELECT ${EDGES_SQL} $$`,
  `CREATE FUNCTION sms_auth_stats_verify_bucket(p_seconds numeric) RETURNS integer
     LANGUAGE sql IMMUTABLE AS $$
     SELECT greatest(1, (SELECT count(*)::integer FROM unnest(${EDGES_SQL}) AS edge WHERE edge <= p_seconds))
   $$`,

  `CREATE FUNCTION sms_auth_stats_code(v sms_verifications, ds sms_deliveries[])
     RETURNS TABLE (bucket timestamptz, provider text, channel text, country text,
       ${CODE_COUNTERS.map((name) => `${name} integer`).join(', ')}, verify_bucket integer)
     LANGUAGE sql STABLE AS $$
     SELECT date_bin('1 hour', v.created_at, timestamptz '2000-01-01 00:00:00+00'),
            coalesce(v.provider, ''),
            coalesce((SELECT d.channel FROM unnest(ds) AS d WHERE d.provider_message_id IS NOT NULL
                       ORDER BY d.status IN ('delivered', 'read') DESC, d.attempt_number DESC LIMIT 1),
                     CASE WHEN v.provider IS NOT NULL THEN 'sms' END, 'none'),
            coalesce(v.country, ''),
            1,
            CASE WHEN v.provider IS NOT NULL THEN 1 ELSE 0 END,
            CASE WHEN v.delivery_status IN ('delivered', 'read') THEN 1 ELSE 0 END,
            CASE WHEN v.status = 'failed' OR v.delivery_status IN ('failed', 'expired') THEN 1 ELSE 0 END,
            CASE WHEN v.status = 'approved' THEN 1 ELSE 0 END,
            CASE WHEN v.status = 'expired' THEN 1 ELSE 0 END,
            CASE WHEN v.status = 'pending' THEN 1 ELSE 0 END,
            CASE WHEN v.status = 'max_attempts_reached' THEN 1 ELSE 0 END,
            CASE WHEN v.status = 'approved' AND v.verified_at IS NOT NULL
                 THEN sms_auth_stats_verify_bucket(extract(epoch FROM v.verified_at - v.created_at)) END
   $$`,

  `CREATE FUNCTION sms_auth_stats_histogram(p_plus integer[], p_minus integer[]) RETURNS bigint[]
     LANGUAGE sql IMMUTABLE AS $$
     SELECT array_agg((SELECT count(*) FROM unnest(p_plus) AS b WHERE b = i)
                      - (SELECT count(*) FROM unnest(p_minus) AS b WHERE b = i) ORDER BY i)
       FROM generate_series(1, ${BUCKETS}) AS i
   $$`,

  /* The change of figures from the codes as they were (with their deliveries then) to as they are. */
  `CREATE FUNCTION sms_auth_stats_record(p_old_codes sms_verifications[], p_old_deliveries sms_deliveries[],
       p_new_codes sms_verifications[], p_new_deliveries sms_deliveries[]) RETURNS void
     LANGUAGE sql AS $$
     WITH codes AS (
       SELECT -1 AS sign, (array_agg(v))[1] AS v,
              coalesce(array_agg(d) FILTER (WHERE d.id IS NOT NULL), '{}') AS ds
         FROM unnest(p_old_codes) AS v LEFT JOIN unnest(p_old_deliveries) AS d ON d.verification_id = v.id
        GROUP BY v.id
       UNION ALL
       SELECT 1, (array_agg(v))[1], coalesce(array_agg(d) FILTER (WHERE d.id IS NOT NULL), '{}')
         FROM unnest(p_new_codes) AS v LEFT JOIN unnest(p_new_deliveries) AS d ON d.verification_id = v.id
        GROUP BY v.id),
     figures AS (
       SELECT c.sign, c.ds, f.* FROM codes c CROSS JOIN LATERAL sms_auth_stats_code(c.v, c.ds) AS f),
     code_deltas AS (
       INSERT INTO stats_code_deltas (bucket, provider, channel, country, ${CODE_COUNTERS.join(', ')},
         verify_seconds)
       SELECT bucket, provider, channel, country,
              ${CODE_COUNTERS.map((name) => `sum(sign * ${name})`).join(', ')},
              sms_auth_stats_histogram(array_agg(verify_bucket) FILTER (WHERE sign = 1),
                array_agg(verify_bucket) FILTER (WHERE sign = -1))
         FROM figures
        GROUP BY bucket, provider, channel, country
       HAVING ${CODE_COUNTERS.map((name) => `sum(sign * ${name}) <> 0`).join(' OR ')}
           OR array_agg(verify_bucket) FILTER (WHERE sign = 1) IS DISTINCT FROM
              array_agg(verify_bucket) FILTER (WHERE sign = -1)
       RETURNING 1)
     INSERT INTO stats_cost_deltas (bucket, provider, channel, country, delivery_provider, currency, deliveries,
       accepted, stated_cost)
     SELECT f.bucket, f.provider, f.channel, f.country, d.provider,
            CASE WHEN d.cost IS NULL THEN '-' ELSE coalesce(d.cost_currency, '') END,
            sum(f.sign), sum(f.sign * CASE WHEN d.provider_message_id IS NOT NULL THEN 1 ELSE 0 END),
            coalesce(sum(f.sign * d.cost), 0)
       FROM figures f CROSS JOIN LATERAL unnest(f.ds) AS d
      GROUP BY 1, 2, 3, 4, 5, 6
     HAVING sum(f.sign) <> 0 OR sum(f.sign * CASE WHEN d.provider_message_id IS NOT NULL THEN 1 ELSE 0 END) <> 0
         OR coalesce(sum(f.sign * d.cost), 0) <> 0
   $$`,

  `CREATE FUNCTION sms_auth_stats_codes_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
   BEGIN
     -- A code has no delivery yet when it is inserted (they reference it).
     PERFORM sms_auth_stats_record('{}'::sms_verifications[], '{}'::sms_deliveries[],
       ARRAY(SELECT n::sms_verifications FROM new_codes n), '{}'::sms_deliveries[]);
     RETURN NULL;
   END
   $$`,

  `CREATE FUNCTION sms_auth_stats_codes_updated() RETURNS trigger LANGUAGE plpgsql AS $$
   DECLARE
     changed uuid[];
     deliveries sms_deliveries[];
   BEGIN
     SELECT array_agg(n.id) INTO changed FROM new_codes n JOIN old_codes o ON o.id = n.id
      WHERE (o.created_at, o.provider, o.country, o.status, o.delivery_status, o.verified_at)
            IS DISTINCT FROM (n.created_at, n.provider, n.country, n.status, n.delivery_status, n.verified_at);
     IF changed IS NULL THEN RETURN NULL; END IF;
     deliveries := ARRAY(SELECT d FROM sms_deliveries d WHERE d.verification_id = ANY (changed));
     PERFORM sms_auth_stats_record(
       ARRAY(SELECT o::sms_verifications FROM old_codes o WHERE o.id = ANY (changed)), deliveries,
       ARRAY(SELECT n::sms_verifications FROM new_codes n WHERE n.id = ANY (changed)), deliveries);
     RETURN NULL;
   END
   $$`,

  `CREATE FUNCTION sms_auth_stats_deliveries_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
   DECLARE
     codes sms_verifications[];
     now_deliveries sms_deliveries[];
   BEGIN
     codes := ARRAY(SELECT v FROM sms_verifications v
                     WHERE v.id IN (SELECT n.verification_id FROM new_deliveries n));
     now_deliveries := ARRAY(SELECT d FROM sms_deliveries d
                              WHERE d.verification_id IN (SELECT n.verification_id FROM new_deliveries n));
     PERFORM sms_auth_stats_record(codes,
       ARRAY(SELECT d FROM unnest(now_deliveries) d WHERE d.id NOT IN (SELECT n.id FROM new_deliveries n)),
       codes, now_deliveries);
     RETURN NULL;
   END
   $$`,

  `CREATE FUNCTION sms_auth_stats_deliveries_updated() RETURNS trigger LANGUAGE plpgsql AS $$
   DECLARE
     changed uuid[];
     codes sms_verifications[];
     now_deliveries sms_deliveries[];
   BEGIN
     SELECT array_agg(n.id) INTO changed FROM new_deliveries n JOIN old_deliveries o ON o.id = n.id
      WHERE (o.verification_id, o.provider, o.provider_message_id, o.status, o.channel, o.attempt_number, o.cost,
             o.cost_currency)
            IS DISTINCT FROM (n.verification_id, n.provider, n.provider_message_id, n.status, n.channel,
             n.attempt_number, n.cost, n.cost_currency);
     IF changed IS NULL THEN RETURN NULL; END IF;
     codes := ARRAY(SELECT v FROM sms_verifications v WHERE v.id IN (
                SELECT n.verification_id FROM new_deliveries n WHERE n.id = ANY (changed)
                UNION SELECT o.verification_id FROM old_deliveries o WHERE o.id = ANY (changed)));
     now_deliveries := ARRAY(SELECT d FROM sms_deliveries d
                              WHERE d.verification_id IN (SELECT (c).id FROM unnest(codes) c));
     PERFORM sms_auth_stats_record(codes,
       ARRAY(SELECT d FROM unnest(now_deliveries) d WHERE d.id <> ALL (changed)
             UNION ALL SELECT o::sms_deliveries FROM old_deliveries o WHERE o.id = ANY (changed)),
       codes, now_deliveries);
     RETURN NULL;
   END
   $$`,

  `CREATE FUNCTION sms_auth_histogram_add(p_sum bigint[], p_more bigint[]) RETURNS bigint[]
     LANGUAGE sql IMMUTABLE AS $$
     SELECT CASE WHEN p_sum IS NULL THEN p_more WHEN p_more IS NULL THEN p_sum
                 ELSE ARRAY(SELECT a + b FROM unnest(p_sum, p_more) AS u(a, b)) END
   $$`,
  `CREATE AGGREGATE sms_auth_histogram_sum(bigint[]) (SFUNC = sms_auth_histogram_add, STYPE = bigint[])`,

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
     INSERT INTO stats_rollups (period, bucket, provider, channel, country, ${CODE_COUNTERS.join(', ')},
       verify_seconds)
     SELECT p.period, ${DAY_OR_HOUR}, m.provider, m.channel, m.country,
            ${CODE_COUNTERS.map((name) => `sum(m.${name})`).join(', ')}, sms_auth_histogram_sum(m.verify_seconds)
       FROM moved m CROSS JOIN (VALUES ('hour'), ('day')) AS p(period)
      GROUP BY 1, 2, 3, 4, 5
      ORDER BY 1, 2, 3, 4, 5
     ON CONFLICT (period, bucket, provider, channel, country) DO UPDATE
        SET ${CODE_COUNTERS.map((name) => `${name} = stats_rollups.${name} + EXCLUDED.${name}`).join(', ')},
            verify_seconds = sms_auth_histogram_add(stats_rollups.verify_seconds, EXCLUDED.verify_seconds);
     GET DIAGNOSTICS folded = ROW_COUNT;
     WITH moved AS (DELETE FROM stats_cost_deltas RETURNING *)
     INSERT INTO stats_rollup_costs (period, bucket, provider, channel, country, delivery_provider, currency,
       deliveries, accepted, stated_cost)
     SELECT p.period, ${DAY_OR_HOUR}, m.provider, m.channel, m.country, m.delivery_provider, m.currency,
            sum(m.deliveries), sum(m.accepted), sum(m.stated_cost)
       FROM moved m CROSS JOIN (VALUES ('hour'), ('day')) AS p(period)
      GROUP BY 1, 2, 3, 4, 5, 6, 7
      ORDER BY 1, 2, 3, 4, 5, 6, 7
     ON CONFLICT (period, bucket, provider, channel, country, delivery_provider, currency) DO UPDATE
        SET deliveries = stats_rollup_costs.deliveries + EXCLUDED.deliveries,
            accepted = stats_rollup_costs.accepted + EXCLUDED.accepted,
            stated_cost = stats_rollup_costs.stated_cost + EXCLUDED.stated_cost;
     GET DIAGNOSTICS folded_costs = ROW_COUNT;
     RETURN folded + folded_costs;
   END
   $$`,
];

const TRIGGERS = [
  `CREATE TRIGGER stats_codes_inserted AFTER INSERT ON sms_verifications REFERENCING NEW TABLE AS new_codes
     FOR EACH STATEMENT EXECUTE FUNCTION sms_auth_stats_codes_inserted()`,
  `CREATE TRIGGER stats_codes_updated AFTER UPDATE ON sms_verifications
     REFERENCING OLD TABLE AS old_codes NEW TABLE AS new_codes
     FOR EACH STATEMENT EXECUTE FUNCTION sms_auth_stats_codes_updated()`,
  `CREATE TRIGGER stats_deliveries_inserted AFTER INSERT ON sms_deliveries REFERENCING NEW TABLE AS new_deliveries
     FOR EACH STATEMENT EXECUTE FUNCTION sms_auth_stats_deliveries_inserted()`,
  `CREATE TRIGGER stats_deliveries_updated AFTER UPDATE ON sms_deliveries
     REFERENCING OLD TABLE AS old_deliveries NEW TABLE AS new_deliveries
     FOR EACH STATEMENT EXECUTE FUNCTION sms_auth_stats_deliveries_updated()`,
];

/** The codes already there, in chunks, then folded: the rollups start exact. */
const BACKFILL = `DO $$
  DECLARE
    after_id uuid := '00000000-0000-0000-0000-000000000000';
    chunk sms_verifications[];
  BEGIN
    LOOP
      chunk := ARRAY(SELECT v FROM sms_verifications v WHERE v.id > after_id ORDER BY v.id LIMIT 5000);
      EXIT WHEN cardinality(chunk) = 0;
      PERFORM sms_auth_stats_record('{}'::sms_verifications[], '{}'::sms_deliveries[], chunk,
        ARRAY(SELECT d FROM sms_deliveries d
        WHERE d.verification_id IN (SELECT (c).id FROM unnest(chunk) AS c)));
      after_id := chunk[cardinality(chunk)].id;
    END LOOP;
    PERFORM sms_auth_stats_fold();
  END
  $$`;

const DROPPED_FUNCTIONS = [
  'sms_auth_stats_fold()',
  'sms_auth_stats_deliveries_updated()',
  'sms_auth_stats_deliveries_inserted()',
  'sms_auth_stats_codes_updated()',
  'sms_auth_stats_codes_inserted()',
  'sms_auth_stats_record(sms_verifications[], sms_deliveries[], sms_verifications[], sms_deliveries[])',
  'sms_auth_stats_histogram(integer[], integer[])',
  'sms_auth_stats_code(sms_verifications, sms_deliveries[])',
  'sms_auth_stats_verify_bucket(numeric)',
  'sms_auth_stats_verify_edges()',
];

export class StatsRollups1795365000000 implements MigrationInterface {
  name = 'StatsRollups1795365000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    for (const statement of [...TABLES, ...FUNCTIONS, ...TRIGGERS, BACKFILL]) await queryRunner.query(statement);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TRIGGER stats_deliveries_updated ON sms_deliveries');
    await queryRunner.query('DROP TRIGGER stats_deliveries_inserted ON sms_deliveries');
    await queryRunner.query('DROP TRIGGER stats_codes_updated ON sms_verifications');
    await queryRunner.query('DROP TRIGGER stats_codes_inserted ON sms_verifications');
    for (const table of ['stats_cost_deltas', 'stats_code_deltas', 'stats_rollup_costs', 'stats_rollups'])
      await queryRunner.query(`DROP TABLE ${table}`);
    for (const fn of DROPPED_FUNCTIONS) await queryRunner.query(`DROP FUNCTION ${fn}`);
    await queryRunner.query('DROP AGGREGATE sms_auth_histogram_sum(bigint[])');
    await queryRunner.query('DROP FUNCTION sms_auth_histogram_add(bigint[], bigint[])');
  }
}
