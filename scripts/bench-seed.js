/**
 * Seeds codes, their delivery rows and their audit events into a migrated sms-auth database, spread like
 * traffic: 90 days, 3 countries, 3 providers, most codes verified, some expired/canceled/failed/max attempts.
 * Shared by `npm run bench:admin-queries` (its defaults: the seed it always had) and `BENCH_SEED_CODES` of
 * `npm run bench` (its own phone numbers, and the events a code's life really leaves).
 */

const { STATS_BACKFILL } = require('../dist/migrations/1795365000000-StatsRollups');

/** One prefix, 3,000,000 numbers: the admin-queries benchmark's numbers. */
const SINGLE_PREFIX_PHONES = `'+7701' || lpad((i % 3000000)::text, 7, '0')`;

/**
 * Numbers of the row's country (its country is (ARRAY['KZ','KZ','KZ','UZ','RU'])[1 + i % 5]): +7707… for
 * KZ, +99890… for UZ, +7916… for RU; rows / 10 numbers of each, so a number has about 3 codes over the period
 * (6 in KZ, 2 in UZ and RU). None starts with +7701, +7702 or +7705, the numbers `npm run bench` (and its SQL
 * floor) and `npm run bench:round-trips` send to.
 */
const COUNTRY_PHONES =
  `CASE i % 5 WHEN 3 THEN '+99890' WHEN 4 THEN '+7916' ELSE '+7707' END` +
  ` || lpad(((i / 5) % greatest(1, $1::int / 10))::text, 7, '0')`;

/** One event per code, of a type taken in turn: what the admin-queries benchmark measures its indexes on. */
async function oneEventPerCode(client) {
  await client.query(`
    INSERT INTO audit_events (occurred_at, type, outcome, phone_number, verification_id, provider, details)
    SELECT created_at,
      (ARRAY['code_requested','code_sent','code_verified','token_issued'])[1 + (row_number() OVER ()) % 4],
           'success', phone_number, id, provider, '{}'::jsonb
      FROM sms_verifications`);
}

/**
 * The events each code's life leaves, in time order (ids grow with occurred_at as in production): requested,
 * then sent (or send failed), a failed attempt per wrong code, then verified with its token issued, or max
 * attempts reached. About 3.8 events per code.
 */
async function lifecycleEvents(client) {
  await client.query(`
    INSERT INTO audit_events (occurred_at, type, outcome, phone_number, verification_id, provider, ip, user_agent,
                              details)
    SELECT e.occurred_at, e.type, e.outcome, v.phone_number, v.id, v.provider,
           '198.51.100.' || (1 + abs(hashtext(v.phone_number)) % 250), 'okhttp/4.12.0', '{}'::jsonb
      FROM sms_verifications v
      CROSS JOIN LATERAL (
        SELECT 'code_requested', 'success', v.created_at
        UNION ALL
        SELECT CASE WHEN v.status = 'failed' THEN 'code_send_failed' ELSE 'code_sent' END,
               CASE WHEN v.status = 'failed' THEN 'failure' ELSE 'success' END, v.created_at + interval '1 second'
        UNION ALL
        SELECT 'code_verify_failed', 'failure', v.created_at + attempt * interval '10 seconds'
          FROM generate_series(1, v.attempts) AS attempt
        UNION ALL
        SELECT 'max_attempts_reached', 'failure', v.created_at + interval '1 minute'
         WHERE v.status = 'max_attempts_reached'
        UNION ALL
        SELECT kind, 'success', v.verified_at
          FROM unnest(ARRAY['code_verified', 'token_issued']) AS kind
         WHERE v.status = 'approved'
      ) AS e(type, outcome, occurred_at)
     ORDER BY e.occurred_at`);
}

/**
 * Inserts `rows` codes created over the past `days` days, one delivery row each, their statistics rollups,
 * the audit trail's monthly partitions and their audit events, then ANALYZEs. `phones` is the SQL of a code's
 * number from its ordinal `i` (and $1, the row count); `events` one of the two functions above.
 */
async function seedCodes(client, { rows, days = 90, phones = SINGLE_PREFIX_PHONES, events = oneEventPerCode }) {
  // Bulk rows without the statistics triggers, then the rollups of them all at once (the migration's backfill:
  // the same figures the triggers would have appended, test/admin/stats-rollups.e2e-spec.ts).
  await client.query('SET session_replication_role = replica');
  await client.query(
    `
    INSERT INTO sms_verifications (id, phone_number, country, code_hash, status, attempts, max_attempts, locale,
      provider, request_id,
                                   delivery_status, is_test_number, expires_at, created_at, updated_at, verified_at)
    SELECT gen_random_uuid(),
           ${phones},
           (ARRAY['KZ','KZ','KZ','UZ','RU'])[1 + i % 5],
           md5(i::text) || md5((i + 1)::text),
           s.status,
           CASE WHEN s.status = 'max_attempts_reached' THEN 5 WHEN i % 7 = 0 THEN 1 ELSE 0 END,
           5, 'ru',
           CASE WHEN s.status = 'failed' THEN NULL ELSE (ARRAY['mobizon','twilio','eskiz'])[1 + i % 3] END,
           CASE WHEN s.status = 'failed' THEN NULL ELSE 'msg-' || i END,
           CASE WHEN s.status = 'failed' THEN 'failed' WHEN i % 10 = 0 THEN 'sent' ELSE 'delivered' END,
           false,
           t.created_at + interval '5 minutes', t.created_at, t.created_at,
           CASE WHEN s.status = 'approved' THEN t.created_at + (15 + i % 60) * interval '1 second' END
      FROM generate_series(1, $1::int) AS i
      CROSS JOIN LATERAL (SELECT now() - ((i::bigint * 7919) % ($2::int * 86400)) * interval '1 second' AS created_at) t
      CROSS JOIN LATERAL (SELECT CASE WHEN i % 20 = 0 THEN 'expired' WHEN i % 50 = 0 THEN 'max_attempts_reached'
                                      WHEN i % 100 = 0 THEN 'failed' WHEN i % 25 = 0 THEN 'canceled'
                                        ELSE 'approved' END AS status) s`,
    [rows, days],
  );
  await client.query(`
    INSERT INTO sms_deliveries (verification_id, attempt_number, provider, provider_message_id, status, created_at,
      updated_at)
    SELECT id, 1, coalesce(provider, 'mobizon'), request_id, coalesce(delivery_status, 'failed'), created_at,
      created_at FROM sms_verifications`);
  for (const statement of STATS_BACKFILL) await client.query(statement);
  await client.query('RESET session_replication_role');
  await client.query(
    `SELECT sms_auth_audit_create_partition(m)
       FROM generate_series(date_trunc('month', now() - make_interval(days => $1::int), 'UTC'), now(),
         interval '1 month') AS m`,
    [days],
  );
  await events(client);
  // The backfill's deltas left dead rows behind the fold; autovacuum would clear them within a minute.
  await client.query('VACUUM ANALYZE');
}

module.exports = { COUNTRY_PHONES, SINGLE_PREFIX_PHONES, lifecycleEvents, oneEventPerCode, seedCodes };
