import { type MigrationInterface, type QueryRunner } from 'typeorm';
import { definitionIn, hotPathFunctionDefinition } from './1795300000000-HotPathFunctions';
import { replacedOnce, RESERVE_SEND_WITH_BLOCKS } from './1795310000000-PhoneBlocks';

/**
 * The fraud guard (SPEC §10) in the hot-path statements, over the tables of FraudGuardTables. A send that
 * passed the phone's checks gets a verdict from the counters (sms_auth_fraud_verdict); a block in `enforce`
 * mode answers SEND_BLOCKED with its audit event; every verdict is a fraud_decisions row; an allowed send is
 * counted (sms_auth_fraud_count). A verify batch counts its approved codes at its end
 * (sms_auth_fraud_count_verified). Each step stays one statement.
 *
 * Windows: "24 h" is the current UTC hour and the 23 before it; "an hour" is the current hour plus the share
 * of the previous one still within the last 60 minutes (a sliding estimate); rule 4's hour is exact (the
 * prefix keeps its latest send times).
 */
const FUNCTIONS = [
  // The subjects (IP, country, prefix) of the requests the guard judges: all but test numbers.
  `CREATE FUNCTION sms_auth_fraud_subjects(p_requests jsonb) RETURNS TABLE (scope varchar, key varchar)
     LANGUAGE sql IMMUTABLE AS $$
     SELECT DISTINCT s.scope::varchar, s.key::varchar
       FROM jsonb_array_elements(p_requests) AS e(r)
       CROSS JOIN LATERAL (VALUES ('ip', left(e.r->>'ip', 64)), ('country', e.r->>'country'),
                                  ('prefix', left(e.r->>'phone_number', -4))) AS s(scope, key)
      WHERE NOT (e.r->>'is_test_number')::boolean AND s.key IS NOT NULL
   $$`,

  /*
   * A subject's figures over its hourly buckets: unverified codes (sent and not verified, by the hour they
   * were sent) and verified ones in 24 h and in the sliding hour, and the estimated cost since the UTC day began.
   */
  `CREATE FUNCTION sms_auth_fraud_window(p_scope varchar, p_key varchar, p_now timestamptz,
     OUT unverified_day integer, OUT unverified_hour float8, OUT verified_day integer, OUT verified_hour float8,
     OUT spent_today numeric) LANGUAGE plpgsql STABLE AS $$
   -- PL/pgSQL rather than SQL: its statements' plans are kept from call to call.
   DECLARE
     hour_start timestamptz := date_trunc('hour', p_now, 'UTC');
     carried float8 := 1 - extract(epoch FROM p_now - date_trunc('hour', p_now, 'UTC'))::float8 / 3600;
     sent record;
     verified record;
   BEGIN
     SELECT coalesce(sum(s.sent), 0)::integer AS day,
            coalesce(sum(s.sent) FILTER (WHERE s.bucket = hour_start), 0)::integer AS current,
            coalesce(sum(s.sent) FILTER (WHERE s.bucket = hour_start - interval '1 hour'), 0)::integer AS previous,
            coalesce(sum(s.cost) FILTER (WHERE s.bucket >= date_trunc('day', p_now, 'UTC')), 0) AS today
       INTO sent
       FROM fraud_sent_counts s
      WHERE s.scope = p_scope AND s.key = p_key AND s.bucket > hour_start - interval '24 hours';
     SELECT coalesce(sum(v.verified), 0)::integer AS day,
            coalesce(sum(v.verified) FILTER (WHERE v.bucket = hour_start), 0)::integer AS current,
            coalesce(sum(v.verified) FILTER (WHERE v.bucket = hour_start - interval '1 hour'), 0)::integer
              AS previous
       INTO verified
       FROM fraud_verified_counts v
      WHERE v.scope = p_scope AND v.key = p_key AND v.bucket > hour_start - interval '24 hours';
     unverified_day := sent.day - verified.day;
     unverified_hour := (sent.current - verified.current) + (sent.previous - verified.previous) * carried;
     verified_day := verified.day;
     verified_hour := verified.current + verified.previous * carried;
     spent_today := sent.today;
   END
   $$`,

  `CREATE FUNCTION sms_auth_fraud_rule(p_rule text, p_window text, p_count numeric, p_threshold numeric,
     p_fired boolean) RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$
     SELECT jsonb_build_object('rule', p_rule, 'window', p_window, 'count', round(p_count, 2),
       'threshold', round(p_threshold, 2), 'fired', p_fired)
   $$`,

  /*
   * The verdict on one send (rules 1–6 of SPEC §10), read from counters whose subjects the calling batch has
   * locked. Known numbers (verified within known_phone_days) are judged by the IP rules (1, 3) only. Trips the
   * prefix breaker (rule 5) when its window is full and converted too little: the trip resets the window, so
   * that after the block ends (or is lifted) the prefix starts afresh. Answers {action, rule, retry_after,
   * known_phone, rules}: `rule` the first blocking rule in SPEC order, `retry_after` the latest of their waits.
   */
  `CREATE FUNCTION sms_auth_fraud_verdict(p_phone varchar, p_country varchar, p_ip varchar, p_price numeric,
     p_settings jsonb, p_now timestamptz) RETURNS jsonb LANGUAGE plpgsql AS $$
   DECLARE
     phone_prefix varchar := left(p_phone, -4);
     next_hour integer := sms_auth_seconds_until(date_trunc('hour', p_now, 'UTC') + interval '1 hour', p_now);
     ratio float8 := (p_settings->>'verified_ratio')::float8;
     known boolean;
     ip_figures record;
     country_figures record;
     countries record;
     prefix_state record;
     baseline integer;
     breaker_window integer := (p_settings->>'breaker_window')::integer;
     window_from bigint;
     window_verified integer;
     spend_limit numeric;
     day_threshold float8;
     hour_threshold float8;
     fired boolean;
     rules jsonb := '[]';
     blocking text[] := '{}';
     wait integer := 0;
   BEGIN
     SELECT EXISTS (SELECT 1 FROM users u WHERE u.phone_number = p_phone
        AND u.last_login_at > p_now - make_interval(days => (p_settings->>'known_phone_days')::integer)) INTO known;

     IF p_ip IS NOT NULL THEN
       SELECT * INTO ip_figures FROM sms_auth_fraud_window('ip', p_ip, p_now);
       -- Rule 1: destination countries of the IP in 24 h, this one included.
       SELECT count(*) FILTER (WHERE c.key IS DISTINCT FROM p_country)::integer + 1 AS distinct_countries,
              min((c.value #>> '{}')::timestamptz) FILTER (WHERE c.key IS DISTINCT FROM p_country) AS oldest
         INTO countries
         FROM fraud_subjects f, jsonb_each(f.countries) AS c
        WHERE f.scope = 'ip' AND f.key = p_ip AND (c.value #>> '{}')::timestamptz > p_now - interval '24 hours';
       fired := ip_figures.verified_day = 0
                AND countries.distinct_countries > (p_settings->>'ip_country_limit')::integer;
       rules := rules || sms_auth_fraud_rule('ip_countries', 'day', countries.distinct_countries,
         (p_settings->>'ip_country_limit')::numeric, fired);
       IF fired THEN
         blocking := blocking || 'ip_countries'::text;
         wait := greatest(wait, sms_auth_seconds_until(countries.oldest + interval '24 hours', p_now));
       END IF;
     END IF;

     IF p_country IS NOT NULL THEN
       -- Rule 2: the country's unverified codes against its own verified traffic.
       SELECT * INTO country_figures FROM sms_auth_fraud_window('country', p_country, p_now);
       SELECT coalesce(max(v.verified), 0) INTO baseline FROM fraud_verified_counts v
        WHERE v.scope = 'country_day' AND v.key = p_country
          AND v.bucket > date_trunc('day', p_now, 'UTC')
                         - make_interval(days => (p_settings->>'baseline_days')::integer);
       day_threshold := greatest((p_settings->>'country_min_day')::float8, ratio * baseline,
         ratio * country_figures.verified_day);
       hour_threshold := greatest((p_settings->>'country_min_hour')::float8, day_threshold / 6,
         ratio * country_figures.verified_hour);
       fired := country_figures.unverified_day + 1 > day_threshold;
       rules := rules || sms_auth_fraud_rule('country_unverified', 'day', country_figures.unverified_day + 1,
         day_threshold::numeric, fired);
       IF NOT fired THEN
         fired := country_figures.unverified_hour + 1 > hour_threshold;
         rules := rules || sms_auth_fraud_rule('country_unverified', 'hour',
           (country_figures.unverified_hour + 1)::numeric, hour_threshold::numeric, fired);
       END IF;
       IF fired AND NOT known THEN
         blocking := blocking || 'country_unverified'::text;
         wait := greatest(wait, next_hour);
       END IF;
     END IF;

     IF p_ip IS NOT NULL THEN
       -- Rule 3: the IP's unverified codes against its own verified ones.
       day_threshold := greatest((p_settings->>'ip_min_day')::float8, ratio * ip_figures.verified_day);
       hour_threshold := greatest((p_settings->>'ip_min_hour')::float8, day_threshold / 6,
         ratio * ip_figures.verified_hour);
       fired := ip_figures.unverified_day + 1 > day_threshold;
       rules := rules || sms_auth_fraud_rule('ip_unverified', 'day', ip_figures.unverified_day + 1,
         day_threshold::numeric, fired);
       IF NOT fired THEN
         fired := ip_figures.unverified_hour + 1 > hour_threshold;
         rules := rules || sms_auth_fraud_rule('ip_unverified', 'hour', (ip_figures.unverified_hour + 1)::numeric,
           hour_threshold::numeric, fired);
       END IF;
       IF fired THEN
         blocking := blocking || 'ip_unverified'::text;
         wait := greatest(wait, next_hour);
       END IF;
     END IF;

     -- The prefix's breaker and, for rule 4, its sends in the last 60 minutes (this one included).
     SELECT f.sends, f.window_start, f.blocked_until,
            (SELECT count(*)::integer + 1 FROM unnest(f.recent) AS t WHERE t > p_now - interval '1 hour')
              AS recent_sends,
            (SELECT min(t) FROM unnest(f.recent) AS t WHERE t > p_now - interval '1 hour') AS recent_oldest
       INTO prefix_state
       FROM fraud_subjects f WHERE f.scope = 'prefix' AND f.key = phone_prefix;
     fired := prefix_state.recent_sends > (p_settings->>'prefix_limit_hour')::integer;
     rules := rules || sms_auth_fraud_rule('prefix_velocity', 'hour', prefix_state.recent_sends,
       (p_settings->>'prefix_limit_hour')::numeric, fired);
     IF fired AND NOT known THEN
       blocking := blocking || 'prefix_velocity'::text;
       wait := greatest(wait, sms_auth_seconds_until(prefix_state.recent_oldest + interval '1 hour', p_now));
     END IF;

     -- Rule 5: the prefix breaker, tripped by a full window of sends that converted too little.
     IF prefix_state.blocked_until IS NULL OR prefix_state.blocked_until <= p_now THEN
       window_from := greatest(prefix_state.window_start, prefix_state.sends - breaker_window);
       IF prefix_state.sends - window_from >= breaker_window THEN
         SELECT count(*)::integer INTO window_verified FROM fraud_conversions c
          WHERE c.prefix = phone_prefix AND c.seq >= window_from;
         IF window_verified < (p_settings->>'breaker_min_conversion')::float8 * breaker_window THEN
           UPDATE fraud_subjects f
              SET blocked_until = p_now + make_interval(secs => (p_settings->>'breaker_block_seconds')::integer),
                  blocked_at = p_now, window_start = f.sends, updated_at = p_now
            WHERE f.scope = 'prefix' AND f.key = phone_prefix
            RETURNING f.blocked_until INTO prefix_state.blocked_until;
           PERFORM sms_auth_audit('fraud_prefix_blocked', 'failure', NULL, NULL, NULL, NULL, NULL, p_ip, NULL,
             jsonb_build_object('prefix', phone_prefix, 'sends', breaker_window, 'verified', window_verified,
               'blocked_until', sms_auth_iso(prefix_state.blocked_until), 'mode', p_settings->>'mode'));
         END IF;
         rules := rules || sms_auth_fraud_rule('prefix_breaker', 'sends', window_verified::numeric / breaker_window,
           (p_settings->>'breaker_min_conversion')::numeric, coalesce(prefix_state.blocked_until > p_now, false));
       END IF;
     ELSE
       rules := rules || sms_auth_fraud_rule('prefix_breaker', 'block', NULL,
         (p_settings->>'breaker_min_conversion')::numeric, true);
     END IF;
     IF prefix_state.blocked_until > p_now AND NOT known THEN
       blocking := blocking || 'prefix_breaker'::text;
       wait := greatest(wait, sms_auth_seconds_until(prefix_state.blocked_until, p_now));
     END IF;

     -- Rule 6: the country's estimated spend of the UTC day.
     spend_limit := coalesce(p_settings->'spend_limits'->>p_country, p_settings->'spend_limits'->>'*')::numeric;
     IF spend_limit IS NOT NULL AND p_price IS NOT NULL AND p_country IS NOT NULL THEN
       fired := country_figures.spent_today + p_price > spend_limit;
       rules := rules || sms_auth_fraud_rule('country_spend', 'day', country_figures.spent_today + p_price,
         spend_limit, fired);
       IF fired AND NOT known THEN
         blocking := blocking || 'country_spend'::text;
         wait := greatest(wait,
           sms_auth_seconds_until(date_trunc('day', p_now, 'UTC') + interval '1 day', p_now));
       END IF;
     END IF;

     RETURN jsonb_build_object(
       'action', CASE WHEN cardinality(blocking) > 0 THEN 'blocked' ELSE 'allowed' END,
       'rule', blocking[1],
       'retry_after', CASE WHEN cardinality(blocking) > 0 THEN wait END,
       'known_phone', known,
       'rules', rules);
   END
   $$`,

  /*
   * Counts a send that goes out: its IP's and country's hourly buckets (with its estimated cost), the IP's
   * destination countries, the prefix's sequence and latest send times (the last p_recent_keep). Answers the
   * send's place in its prefix's sequence. The batch holds the subjects' locks (a country's row is only that:
   * its figures are all in the buckets).
   */
  `CREATE FUNCTION sms_auth_fraud_count(p_phone varchar, p_country varchar, p_ip varchar, p_price numeric,
     p_now timestamptz, p_recent_keep integer) RETURNS bigint LANGUAGE plpgsql AS $$
   DECLARE
     phone_prefix varchar := left(p_phone, -4);
     seq bigint;
   BEGIN
     INSERT INTO fraud_sent_counts AS c (scope, key, bucket, sent, cost)
     SELECT k.scope, k.key, date_trunc('hour', p_now, 'UTC'), 1, k.cost
       FROM (VALUES ('ip', p_ip, 0::numeric), ('country', p_country, coalesce(p_price, 0))) AS k(scope, key, cost)
      WHERE k.key IS NOT NULL
     ON CONFLICT (scope, key, bucket) DO UPDATE SET sent = c.sent + 1, cost = c.cost + EXCLUDED.cost;
     WITH counted AS (
       UPDATE fraud_subjects f
        SET sends = f.sends + 1, updated_at = p_now,
            countries = CASE WHEN f.scope = 'ip' AND p_country IS NOT NULL THEN
                coalesce((SELECT jsonb_object_agg(c.key, c.value) FROM jsonb_each(f.countries) AS c
                           WHERE (c.value #>> '{}')::timestamptz > p_now - interval '24 hours'), '{}')
                || jsonb_build_object(p_country, p_now)
              ELSE f.countries END,
            recent = CASE WHEN f.scope = 'prefix' THEN
                array(SELECT t FROM unnest(f.recent) AS t WHERE t > p_now - interval '1 hour'
                       ORDER BY t DESC LIMIT greatest(p_recent_keep - 1, 0)) || p_now
              ELSE f.recent END
      WHERE (f.scope = 'ip' AND f.key = p_ip) OR (f.scope = 'prefix' AND f.key = phone_prefix)
      RETURNING f.scope, f.sends)
     SELECT counted.sends - 1 INTO seq FROM counted WHERE counted.scope = 'prefix';
     RETURN seq;
   END
   $$`,

  /*
   * Counts verified codes the guard counted when sent: per IP and country by the hour they were sent, per
   * country by that UTC day, and in their prefix's conversions. In key order, one statement per table, so
   * that concurrent verify batches never deadlock.
   */
  `CREATE FUNCTION sms_auth_fraud_count_verified(p_ids uuid[]) RETURNS void LANGUAGE sql AS $$
     INSERT INTO fraud_verified_counts AS c (scope, key, bucket, verified)
     SELECT k.scope, k.key, k.bucket, count(*)::integer
       FROM sms_verifications v
       CROSS JOIN LATERAL (VALUES ('ip', v.ip, date_trunc('hour', v.created_at, 'UTC')),
                                  ('country', v.country, date_trunc('hour', v.created_at, 'UTC')),
                                  ('country_day', v.country, date_trunc('day', v.created_at, 'UTC')))
                          AS k(scope, key, bucket)
      WHERE v.id = ANY(p_ids) AND v.fraud_seq IS NOT NULL AND k.key IS NOT NULL
      GROUP BY k.scope, k.key, k.bucket
      ORDER BY k.scope, k.key, k.bucket
     ON CONFLICT (scope, key, bucket) DO UPDATE SET verified = c.verified + EXCLUDED.verified;
     INSERT INTO fraud_conversions (prefix, seq)
     SELECT left(v.phone_number, -4), v.fraud_seq FROM sms_verifications v
      WHERE v.id = ANY(p_ids) AND v.fraud_seq IS NOT NULL
      ORDER BY 1, 2
     ON CONFLICT DO NOTHING;
   $$`,
];

/** The text this migration creates a function of FUNCTIONS with, by its name (for migrations that replace it). */
export function fraudGuardFunctionDefinition(name: string): string {
  return definitionIn(FUNCTIONS, name, 'FraudGuardFunctions');
}

/* The send's reservation with the guard between the phone's checks and the new code. */
const GUARD = `
     IF p_fraud->>'mode' <> 'off' AND NOT p_is_test_number THEN
       verdict := CASE WHEN p_bypass IS NOT NULL
         THEN jsonb_build_object('action', 'allowed', 'bypass', p_bypass, 'rules', '[]'::jsonb)
         ELSE sms_auth_fraud_verdict(p_phone, p_country, left(p_ip, 64), p_price, p_fraud, db_now) END;
       fraud_action := verdict->>'action';
       fraud_rule := verdict->>'rule';
       refused := fraud_action = 'blocked' AND p_fraud->>'mode' = 'enforce';
       -- The decision of every judged send; a refused one has no code.
       INSERT INTO fraud_decisions (verification_id, phone_number, ip, country, prefix, mode, action, rule, bypass,
         retry_after, estimated_cost, rules)
       VALUES (CASE WHEN NOT refused THEN p_id END, p_phone, left(p_ip, 64), p_country, left(p_phone, -4),
         p_fraud->>'mode', fraud_action, fraud_rule,
         coalesce(verdict->>'bypass', CASE WHEN (verdict->>'known_phone')::boolean THEN 'known_phone' END),
         (verdict->>'retry_after')::integer, p_price, verdict->'rules');
       IF refused THEN
         result := 'SEND_BLOCKED';
         retry_after := (verdict->>'retry_after')::integer;
         PERFORM sms_auth_audit('send_blocked', 'failure', p_phone, NULL, NULL, NULL, NULL, p_ip, p_user_agent,
           jsonb_build_object('action', p_action, 'rule', fraud_rule, 'retry_after', retry_after));
         RETURN;
       END IF;
       -- In record mode a send the guard would block goes out uncounted: the counters stay those of enforce.
       IF fraud_action = 'allowed' THEN
         counted := sms_auth_fraud_count(p_phone, p_country, left(p_ip, 64), p_price, db_now,
           (p_fraud->>'prefix_limit_hour')::integer);
       END IF;
     END IF;

     WITH closed AS (`;

function guardedReservation(): string {
  // CREATE OR REPLACE as PhoneBlocks wrote it: the old signature is dropped first, so this creates the new one.
  let definition = RESERVE_SEND_WITH_BLOCKS;
  definition = replacedOnce(
    definition,
    `p_cooldown_seconds integer, p_per_hour integer, p_per_day integer,
     OUT result text, OUT db_now timestamptz, OUT locked_until timestamptz, OUT retry_after integer,
     OUT refused_limit text, OUT resend_after integer) LANGUAGE plpgsql AS $$
   DECLARE`,
    `p_cooldown_seconds integer, p_per_hour integer, p_per_day integer,
     p_bypass varchar, p_price numeric, p_fraud jsonb,
     OUT result text, OUT db_now timestamptz, OUT locked_until timestamptz, OUT retry_after integer,
     OUT refused_limit text, OUT resend_after integer, OUT fraud_action text, OUT fraud_rule text)
     LANGUAGE plpgsql AS $$
   DECLARE
     verdict jsonb;
     refused boolean;
     counted bigint;`,
  );
  definition = replacedOnce(definition, `\n     WITH closed AS (`, GUARD);
  return replacedOnce(
    definition,
    `is_test_number, ip, user_agent, expires_at, created_at)
     VALUES (p_id, p_phone, p_country, p_code_hash, 'pending', 0, p_max_attempts, p_locale, p_is_test_number,
       left(p_ip, 64), left(p_user_agent, 512), db_now + make_interval(secs => p_ttl_seconds), db_now);`,
    `is_test_number, ip, user_agent, expires_at, created_at, fraud_seq)
     VALUES (p_id, p_phone, p_country, p_code_hash, 'pending', 0, p_max_attempts, p_locale, p_is_test_number,
       left(p_ip, 64), left(p_user_agent, 512), db_now + make_interval(secs => p_ttl_seconds), db_now, counted);`,
  );
}

/*
 * The batch of reservations, as in HotPathFunctions, first locking every subject the guard will count, in key
 * order: batches sharing a subject take turns on it, and since each takes its subjects before any phone and in
 * the same order, two batches never wait for each other both ways.
 */
const RESERVE_SENDS = `CREATE FUNCTION sms_auth_reserve_sends(p_requests jsonb, p_max_attempts integer,
     p_ttl_seconds integer, p_cooldown_seconds integer, p_per_hour integer, p_per_day integer, p_fraud jsonb)
     RETURNS TABLE (request integer, result text, db_now timestamptz, locked_until timestamptz, retry_after integer,
       refused_limit text, resend_after integer, fraud_action text, fraud_rule text) LANGUAGE plpgsql AS $$
   DECLARE
     item record;
   BEGIN
     IF p_fraud->>'mode' <> 'off' THEN
       INSERT INTO fraud_subjects AS f (scope, key)
       SELECT s.scope, s.key FROM sms_auth_fraud_subjects(p_requests) AS s ORDER BY s.scope, s.key
       ON CONFLICT (scope, key) DO UPDATE SET updated_at = f.updated_at;
     END IF;
     FOR item IN
       SELECT e.value AS r, e.position::integer AS position
         FROM jsonb_array_elements(p_requests) WITH ORDINALITY AS e(value, position)
        ORDER BY hashtextextended(e.value->>'phone_number', 0), e.position
     LOOP
       RETURN QUERY SELECT item.position, reserved.*
         FROM sms_auth_reserve_send((item.r->>'id')::uuid, item.r->>'phone_number', item.r->>'country',
           item.r->>'code_hash', p_max_attempts, item.r->>'locale', (item.r->>'is_test_number')::boolean,
           item.r->>'ip', item.r->>'user_agent', p_ttl_seconds, item.r->>'action', p_cooldown_seconds, p_per_hour,
           p_per_day, item.r->>'fraud_bypass', (item.r->>'price')::numeric, p_fraud) AS reserved;
     END LOOP;
   END
   $$`;

/* The batch of verifies, as in HotPathFunctions, then counting the approved codes for the guard. */
const VERIFY_CODES = `CREATE FUNCTION sms_auth_verify_codes(p_requests jsonb, p_max_failures integer,
     p_lock_seconds integer, p_refresh_ttl_seconds integer)
     RETURNS TABLE (request integer, result text, db_now timestamptz, locked_until timestamptz,
       attempts_left integer, failures integer, verification_id uuid, provider varchar, user_id uuid,
       user_created_at timestamptz, user_last_login_at timestamptz, is_new_user boolean) LANGUAGE plpgsql AS $$
   DECLARE
     item record;
     approved uuid[] := '{}';
   BEGIN
     FOR item IN
       SELECT e.value AS r, e.position::integer AS position
         FROM jsonb_array_elements(p_requests) WITH ORDINALITY AS e(value, position)
        ORDER BY hashtextextended(e.value->>'phone_number', 0), e.position
     LOOP
       SELECT item.position, verified.* INTO request, result, db_now, locked_until, attempts_left, failures,
              verification_id, provider, user_id, user_created_at, user_last_login_at, is_new_user
         FROM sms_auth_verify_code(item.r->>'phone_number', (item.r->>'read_id')::uuid,
           (item.r->>'matched')::boolean, p_max_failures, p_lock_seconds, (item.r->>'session_id')::uuid,
           item.r->>'refresh_token_hash', p_refresh_ttl_seconds, item.r->>'ip', item.r->>'user_agent') AS verified;
       IF result = 'APPROVED' THEN approved := approved || verification_id; END IF;
       RETURN NEXT;
     END LOOP;
     IF cardinality(approved) > 0 THEN PERFORM sms_auth_fraud_count_verified(approved); END IF;
   END
   $$`;

const OLD_RESERVE_SEND =
  'sms_auth_reserve_send(uuid, varchar, varchar, varchar, integer, varchar, boolean, varchar, varchar, integer, ' +
  'varchar, integer, integer, integer)';

const DROPPED_ON_DOWN = [
  'sms_auth_verify_codes(jsonb, integer, integer, integer)',
  'sms_auth_reserve_sends(jsonb, integer, integer, integer, integer, integer, jsonb)',
  `${OLD_RESERVE_SEND.slice(0, -1)}, varchar, numeric, jsonb)`,
  'sms_auth_fraud_count_verified(uuid[])',
  'sms_auth_fraud_count(varchar, varchar, varchar, numeric, timestamptz, integer)',
  'sms_auth_fraud_verdict(varchar, varchar, varchar, numeric, jsonb, timestamptz)',
  'sms_auth_fraud_rule(text, text, numeric, numeric, boolean)',
  'sms_auth_fraud_window(varchar, varchar, timestamptz)',
  'sms_auth_fraud_subjects(jsonb)',
];

export class FraudGuardFunctions1795351000000 implements MigrationInterface {
  name = 'FraudGuardFunctions1795351000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    for (const sql of FUNCTIONS) await queryRunner.query(sql);
    await queryRunner.query('DROP FUNCTION sms_auth_verify_codes(jsonb, integer, integer, integer)');
    await queryRunner.query('DROP FUNCTION sms_auth_reserve_sends(jsonb, integer, integer, integer, integer, integer)');
    await queryRunner.query(`DROP FUNCTION ${OLD_RESERVE_SEND}`);
    await queryRunner.query(guardedReservation());
    await queryRunner.query(RESERVE_SENDS);
    await queryRunner.query(VERIFY_CODES);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    for (const signature of DROPPED_ON_DOWN) await queryRunner.query(`DROP FUNCTION ${signature}`);
    await queryRunner.query(RESERVE_SEND_WITH_BLOCKS);
    await queryRunner.query(hotPathFunctionDefinition('sms_auth_reserve_sends'));
    await queryRunner.query(hotPathFunctionDefinition('sms_auth_verify_codes'));
  }
}
