#!/usr/bin/env node
/**
 * npm run bench — the service's cost per request, on a real Postgres, optionally side by side with the peer.
 *
 * Starts the built service (console provider, generous per-IP limits, SMS_EXPOSE_CODE to learn codes)
 * on a scratch database of the local Postgres (or DATABASE_URL's server) and drives it with autocannon
 * at 50 connections: (a) send-code to distinct numbers, (b) verify-code of the codes (a) issued,
 * (c) refresh of the tokens (b) issued. Checks afterwards that every successful request left its rows
 * and audit events. Alone, it also measures the SQL floor: the statements one send-code runs, replayed
 * through a pg Pool at the same concurrency.
 *
 * With a peer (better-auth, ../shared/peer-better-auth), it runs ROUNDS (3) alternating rounds of the peer
 * and of sms-auth in this one invocation — send for DURATION s, then verify of VERIFY_AMOUNT (3000) of the
 * codes sent — both on a pg pool of BENCH_POOL_SIZE (10), and prints the medians side by side as ratios,
 * with the server CPU each spends per request. The peer is either BENCH_PEER_DIR (a copy with its
 * node_modules: the bench starts it on a fresh database each round) or `--peer-url URL` / BENCH_PEER_URL (a
 * peer started by hand: each round begins with TRUNCATE of its tables on BENCH_PEER_DATABASE_URL, and its
 * CPU is read from the process listening on the URL's port, "n/a" when none can be seen).
 *
 * BENCH_SEED_CODES=N seeds N codes with their delivery rows and audit events (90 days of traffic, numbers
 * that never collide with the bench's) once into a template database; every sms-auth round's database is
 * then a copy of it (CREATE DATABASE … TEMPLATE), so the rounds measure the cost with that much data.
 *
 *   npm run bench                  DURATION=10 CONNECTIONS=50 LABEL=after npm run bench
 *   BENCH_PEER_DIR=/tmp/peer-better-auth npm run bench
 *   npm run bench -- --peer-url http://127.0.0.1:3101        (the peer started by hand, see its README)
 *   BENCH_SEED_CODES=1000000 npm run bench
 *   BENCH_MAIN_JS=/tmp/old/dist/apps/api/src/main.js node scripts/bench.js    (an older build, same driver)
 */
const { randomUUID } = require('node:crypto');
const { mkdirSync, writeFileSync } = require('node:fs');
const os = require('node:os');
const { join } = require('node:path');
const { Client, Pool } = require('pg');
const {
  ADMIN_URL,
  CONNECTIONS,
  DURATION,
  adminQuery,
  dbUrl,
  jsonPosts,
  measured,
  median,
  processStats,
  startSmsAuth,
  stop,
} = require('./bench-lib');
const { attachPeer, peerRound } = require('./bench-peer');
const { COUNTRY_PHONES, lifecycleEvents, seedCodes } = require('./bench-seed');

const USAGE = 'usage: node scripts/bench.js [--peer-url URL]   (or: npm run bench -- --peer-url URL)';

/** The command line: `--peer-url URL` or `--peer-url=URL`, nothing else. */
function parseArgs(argv) {
  const options = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--peer-url' || arg.startsWith('--peer-url=')) {
      options.peerUrl = arg === '--peer-url' ? argv[++i] : arg.slice('--peer-url='.length);
      if (!options.peerUrl || !URL.canParse(options.peerUrl)) {
        console.error(`--peer-url needs a URL such as http://127.0.0.1:3101\n${USAGE}`);
        process.exit(2);
      }
    } else {
      console.error(`unknown argument: ${arg}\n${USAGE}`);
      process.exit(2);
    }
  }
  return options;
}

const ARGS = parseArgs(process.argv.slice(2));
const PORT = Number(process.env.BENCH_PORT ?? 3999);
const LABEL = process.env.LABEL ?? 'run';
const PEER_URL = ARGS.peerUrl ?? process.env.BENCH_PEER_URL;
// --peer-url (or BENCH_PEER_URL) wins over BENCH_PEER_DIR.
const PEER_DIR = PEER_URL ? undefined : process.env.BENCH_PEER_DIR;
const WITH_PEER = Boolean(PEER_URL || PEER_DIR);
const ROUNDS = Number(process.env.ROUNDS ?? (WITH_PEER ? 3 : 1));
const VERIFY_AMOUNT = Number(process.env.VERIFY_AMOUNT ?? (WITH_PEER ? 3000 : Number.MAX_SAFE_INTEGER));
const POOL_SIZE = Number(process.env.BENCH_POOL_SIZE ?? (WITH_PEER ? 10 : 20));
const SEED_CODES = Number(process.env.BENCH_SEED_CODES ?? 0);
if (!Number.isInteger(SEED_CODES) || SEED_CODES < 0) {
  console.error(`BENCH_SEED_CODES must be a whole number of codes, not ${process.env.BENCH_SEED_CODES}`);
  process.exit(2);
}
const DATABASE = process.env.BENCH_DATABASE ?? 'sms_auth_bench';
// The seeded database every round's database is copied from (BENCH_SEED_CODES only).
const SEED_TEMPLATE = `${DATABASE}_seed`;
const BASE = `http://127.0.0.1:${PORT}`;
// The numbers the bench sends to; the seed's never start so (bench-seed.js COUNTRY_PHONES).
const PHONE_PREFIX = '+7701';
/**
 * The n-th number's 7 digits, least significant first: consecutive sends land in different number ranges
 * (a thousand of them), as real users do, rather than all in one (which the fraud guard's prefix rules,
 * rightly, would take for an attack).
 */
const spreadDigits = (n) => String(n).padStart(7, '0').split('').reverse().join('');

function startServer(database = DATABASE) {
  return startSmsAuth({ port: PORT, databaseUrl: dbUrl(database), poolSize: POOL_SIZE });
}

/**
 * BENCH_SEED_CODES: the template every round's database is copied from — migrated by the service itself
 * (a boot on it), then seeded, vacuumed (hint bits set, frozen: the copies' reads write nothing) and analyzed.
 */
async function prepareSeedTemplate() {
  const started = Date.now();
  await adminQuery(`DROP DATABASE IF EXISTS ${SEED_TEMPLATE} WITH (FORCE)`);
  await adminQuery(`CREATE DATABASE ${SEED_TEMPLATE}`);
  await stop(await startServer(SEED_TEMPLATE));
  const client = new Client({ connectionString: dbUrl(SEED_TEMPLATE) });
  await client.connect();
  try {
    await seedCodes(client, { rows: SEED_CODES, days: 90, phones: COUNTRY_PHONES, events: lifecycleEvents });
    await client.query('VACUUM (FREEZE, ANALYZE)');
    const {
      rows: [size],
    } = await client.query(
      `SELECT pg_database_size(current_database()) AS bytes,
              (SELECT count(*) FROM audit_events)::int AS audit_events,
              (SELECT count(*) FROM sms_deliveries)::int AS deliveries`,
    );
    const seed = {
      codes: SEED_CODES,
      audit_events: size.audit_events,
      deliveries: size.deliveries,
      database_mb: Math.round(Number(size.bytes) / 2 ** 20),
      seconds: Math.round((Date.now() - started) / 1000),
    };
    console.log(
      `seeded with ${SEED_CODES} codes (${seed.audit_events} audit events, ${seed.deliveries} delivery rows, ` +
        `${seed.database_mb} MB) in ${seed.seconds} s; every sms-auth round runs on a copy`,
    );
    return seed;
  } finally {
    await client.end();
  }
}

/**
 * The round's database: empty, or a copy of the seeded template. On Postgres 15+ as a file copy (STRATEGY =
 * FILE_COPY: checkpoints around the copy) rather than WAL-logging every page, which would leave the round a
 * checkpoint of the whole copy to pay for.
 */
async function createRoundDatabase() {
  await adminQuery(`DROP DATABASE IF EXISTS ${DATABASE} WITH (FORCE)`);
  if (!SEED_CODES) return adminQuery(`CREATE DATABASE ${DATABASE}`);
  const client = new Client({ connectionString: ADMIN_URL });
  await client.connect();
  try {
    const version = Number((await client.query('SHOW server_version_num')).rows[0].server_version_num);
    const strategy = version >= 150000 ? ' STRATEGY = FILE_COPY' : '';
    await client.query(`CREATE DATABASE ${DATABASE} TEMPLATE ${SEED_TEMPLATE}${strategy}`);
  } finally {
    await client.end();
  }
}

async function dropDatabases() {
  await adminQuery(`DROP DATABASE IF EXISTS ${DATABASE} WITH (FORCE)`);
  if (SEED_CODES) await adminQuery(`DROP DATABASE IF EXISTS ${SEED_TEMPLATE} WITH (FORCE)`);
}

/** One round of sms-auth on a fresh database: send, verify, refresh, and the rows they must have left. */
async function smsAuthRound() {
  await createRoundDatabase();
  const server = await startServer();
  try {
    // (a) send-code to distinct numbers; the responses' debug_code feed (b).
    let counter = 0;
    const codes = [];
    const send = await measured(
      server.pid,
      BASE,
      'send-code',
      jsonPosts(
        '/api/v1/sms-auth/send-code',
        () => ({ phone_number: `${PHONE_PREFIX}${spreadDigits(++counter)}` }),
        (sent) => codes.push({ phone: sent.phone_number, code: sent.debug_code }),
      ),
    );

    // (b) verify-code, each code once.
    const toVerify = codes.slice(0, VERIFY_AMOUNT);
    let nextCode = 0;
    const refreshTokens = [];
    const verify = await measured(server.pid, BASE, 'verify-code', {
      ...jsonPosts(
        '/api/v1/sms-auth/verify-code',
        () => {
          const { phone, code } = toVerify[nextCode++ % toVerify.length];
          return { phone_number: phone, code };
        },
        (login) => refreshTokens.push(login.refresh_token),
      ),
      amount: toVerify.length,
    });

    // (c) refresh: a token is single-use, so each response's new token goes back into the queue.
    const queue = refreshTokens;
    const refresh = await measured(
      server.pid,
      BASE,
      'refresh',
      jsonPosts(
        '/api/v1/auth/refresh',
        () => ({ refresh_token: queue.shift() }),
        (pair) => queue.push(pair.refresh_token),
      ),
    );
    const results = [send, verify, refresh];
    return { results, peak_rss_mb: processStats(server.pid).peakRssMb, integrity: await checkRows(results) };
  } finally {
    await stop(server);
  }
}

function machine() {
  return {
    cpus: os.cpus().length,
    model: os.cpus()[0]?.model,
    memory_gb: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
  };
}

function writeReport(report) {
  mkdirSync(join(__dirname, '../bench-results'), { recursive: true });
  const file = join(__dirname, `../bench-results/${report.label}-${report.at.replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify(report, null, 2));
  console.log(`\nwritten: ${file}`);
}

async function alone() {
  try {
    const seed = SEED_CODES ? await prepareSeedTemplate() : null;
    const round = await smsAuthRound();
    const report = {
      label: LABEL,
      at: new Date().toISOString(),
      machine: machine(),
      connections: CONNECTIONS,
      duration_s: DURATION,
      pool_size: POOL_SIZE,
      seed,
      results: round.results,
      server: { peak_rss_mb: round.peak_rss_mb },
      // On the database the round left behind (migrated, with its rows).
      sql_floor_send_code: await sqlFloor(),
      integrity: round.integrity,
    };
    print(report);
    writeReport(report);
    if (!report.integrity.ok) process.exitCode = 1;
  } finally {
    await dropDatabases();
  }
}

/** ROUNDS alternating rounds of the peer and sms-auth, compared by their medians. */
async function sideBySide() {
  const rounds = { peer: [], smsAuth: [] };
  // A peer started by hand: reachable, and its pid (for its CPU) if this machine can see it.
  const attached = PEER_URL ? await attachPeer(PEER_URL) : null;
  const peer = attached
    ? { started: 'by hand', url: attached.base, pid: attached.pid, database_url: attached.databaseUrl }
    : { started: 'by the bench', dir: PEER_DIR };
  if (attached) {
    console.log(
      `peer: ${attached.base}, started by hand (its pg pool is its own PG_POOL_MAX), ` +
        (attached.pid ? `pid ${attached.pid}` : 'no process seen listening on its port: its CPU is n/a') +
        `; its tables are emptied before each of its rounds (${attached.databaseUrl})`,
    );
  }
  let seed = null;
  try {
    seed = SEED_CODES ? await prepareSeedTemplate() : null;
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 === 0 ? ['peer', 'smsAuth'] : ['smsAuth', 'peer'];
      for (const side of order) {
        const outcome =
          side === 'peer'
            ? await peerRound({
                dir: PEER_DIR,
                attached,
                poolSize: POOL_SIZE,
                verifyAmount: VERIFY_AMOUNT,
                phonePrefix: PHONE_PREFIX,
              })
            : await smsAuthRound();
        rounds[side].push(outcome);
        console.log(`round ${round + 1} ${side}: ${outcome.results.map((r) => `${r.name} ${r.rps}/s`).join(', ')}`);
      }
    }
  } finally {
    await dropDatabases();
  }
  const of = (side, phase, key) => {
    const value = median(rounds[side].map((round) => round.results.find((result) => result.name === phase)?.[key]));
    return value === null ? null : Number(value.toFixed(2));
  };
  const comparison = ['send-code', 'verify-code', 'refresh'].map((phase) => {
    const row = { phase };
    for (const key of ['rps', 'p99_ms', 'server_cpu_ms_per_request', 'postgres_cpu_ms_per_request', 'non2xx']) {
      row[`peer_${key}`] = of('peer', phase, key);
      row[`sms_auth_${key}`] = of('smsAuth', phase, key);
    }
    row.rps_ratio = row.peer_rps ? Number((row.sms_auth_rps / row.peer_rps).toFixed(2)) : null;
    row.p99_ratio = row.peer_p99_ms ? Number((row.sms_auth_p99_ms / row.peer_p99_ms).toFixed(2)) : null;
    row.cpu_ratio = row.peer_server_cpu_ms_per_request
      ? Number((row.sms_auth_server_cpu_ms_per_request / row.peer_server_cpu_ms_per_request).toFixed(2))
      : null;
    return row;
  });
  const integrity = rounds.smsAuth.map((round) => round.integrity);
  const report = {
    label: LABEL,
    at: new Date().toISOString(),
    machine: machine(),
    connections: CONNECTIONS,
    duration_s: DURATION,
    verify_amount: VERIFY_AMOUNT,
    pool_size: POOL_SIZE,
    rounds: ROUNDS,
    peer,
    seed,
    comparison,
    raw: rounds,
    integrity_ok: integrity.every((check) => check.ok),
  };
  console.log(
    `\nsms-auth vs better-auth (${report.label}): ${report.machine.cpus} cores, ${CONNECTIONS} connections, ` +
      `pool ${POOL_SIZE}, medians of ${ROUNDS} alternating rounds` +
      (attached ? `, peer at ${attached.base} (started by hand)` : '') +
      (seed ? `, sms-auth seeded with ${SEED_CODES} codes` : ''),
  );
  console.table(
    comparison.map((row) => ({
      phase: row.phase,
      'peer req/s': row.peer_rps,
      'sms-auth req/s': row.sms_auth_rps,
      ratio: row.rps_ratio,
      'peer p99': row.peer_p99_ms,
      'sms-auth p99': row.sms_auth_p99_ms,
      'peer CPU ms/req': row.phase === 'refresh' ? null : (row.peer_server_cpu_ms_per_request ?? 'n/a'),
      'sms-auth CPU ms/req': row.sms_auth_server_cpu_ms_per_request,
      'peer PG ms/req': row.phase === 'refresh' ? null : row.peer_postgres_cpu_ms_per_request,
      'sms-auth PG ms/req': row.sms_auth_postgres_cpu_ms_per_request,
      'non-2xx (peer/ours)': `${row.peer_non2xx ?? '-'}/${row.sms_auth_non2xx}`,
    })),
  );
  console.log(`rows and audit events of every successful request: ${report.integrity_ok ? 'all present' : 'MISSING'}`);
  writeReport(report);
  if (!report.integrity_ok) process.exitCode = 1;
}

/**
 * Every 200 must have left its rows and audit events behind. Requests still in flight when a phase
 * ends complete on the server but are not counted by autocannon, so rows may exceed the 200s by at
 * most one per connection; no row may lack its audit events.
 */
async function checkRows(results) {
  const succeeded = (name) => {
    const result = results.find((entry) => entry.name === name);
    return result.requests - result.non2xx;
  };
  // Let the requests still in flight when the last phase ended finish, then count in ONE snapshot.
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const client = new Client({ connectionString: dbUrl(DATABASE) });
  await client.connect();
  // Only the bench's own codes (its numbers): a seeded database (BENCH_SEED_CODES) has codes of other numbers.
  const {
    rows: [row],
  } = await client.query(
    `
    WITH ours AS MATERIALIZED (
           SELECT id, status, user_id FROM sms_verifications WHERE phone_number LIKE $1 || '%'),
         -- One scan of audit_events (it has no index on verification_id), then hash joins on this small set:
         -- fast also with millions of seeded events.
         our_events AS MATERIALIZED (
           SELECT verification_id, type FROM audit_events WHERE verification_id IN (SELECT id FROM ours))
    SELECT (SELECT count(*) FROM ours)::int AS codes,
           (SELECT count(*) FROM ours v
             WHERE NOT EXISTS (SELECT 1 FROM our_events e WHERE e.verification_id = v.id AND e.type = 'code_requested')
           )::int AS codes_without_requested_event,
           ((SELECT count(*) FROM ours v
              WHERE NOT EXISTS (SELECT 1 FROM sms_deliveries d WHERE d.verification_id = v.id))
            + (SELECT count(*) FROM ours v
                WHERE NOT EXISTS (SELECT 1 FROM our_events e WHERE e.verification_id = v.id AND e.type = 'code_sent'))
           )::int AS codes_without_delivery_or_sent_event,
           (SELECT count(*) FROM ours WHERE status = 'approved')::int AS verified_codes,
           ((SELECT count(*) FROM ours v
              WHERE status = 'approved'
                AND NOT EXISTS (SELECT 1 FROM our_events e WHERE e.verification_id = v.id AND e.type = 'code_verified'))
            + (SELECT count(*) FROM ours v
                WHERE status = 'approved' AND NOT EXISTS (SELECT 1 FROM sessions s WHERE s.user_id = v.user_id))
           )::int AS verified_without_event_or_session,
           (SELECT count(*) FROM refresh_tokens WHERE used_at IS NOT NULL)::int AS refreshed_tokens,
           (SELECT count(*) FROM audit_events WHERE type = 'token_refreshed')::int AS token_refreshed_events`,
    [PHONE_PREFIX],
  );
  const found = row;
  await client.end();
  const expected = {
    sends: succeeded('send-code'),
    verifies: succeeded('verify-code'),
    refreshes: succeeded('refresh'),
  };
  const within = (rows, successes) => rows >= successes && rows - successes <= CONNECTIONS;
  const checks = [
    within(found.codes, expected.sends),
    found.codes_without_requested_event === 0 && found.codes_without_delivery_or_sent_event === 0,
    within(found.verified_codes, expected.verifies) && found.verified_without_event_or_session === 0,
    within(found.token_refreshed_events, expected.refreshes) && found.refreshed_tokens === found.token_refreshed_events,
  ];
  return { ok: checks.every(Boolean), expected, found };
}

/**
 * The floor: what Postgres alone sustains for the statements of one send-code (the two transactions
 * of verification.service.ts requestCode, as the repositories issue them), at the same concurrency.
 */
async function sqlFloor() {
  const pool = new Pool({ connectionString: dbUrl(DATABASE), max: CONNECTIONS });
  // Dropping the scratch database afterwards ends connections that may still be closing.
  pool.on('error', () => undefined);
  let done = 0;
  let phone = 0;
  const deadline = Date.now() + DURATION * 1000;
  const oneSend = async () => {
    const number = `+7702${String(++phone).padStart(7, '0')}`;
    const id = randomUUID();
    const client = await pool.connect();
    try {
      for (const [sql, params] of sendCodeStatements(number, id)) await client.query(sql, params);
    } finally {
      client.release();
    }
  };
  const worker = async () => {
    while (Date.now() < deadline) {
      await oneSend();
      done += 1;
    }
  };
  const started = Date.now();
  await Promise.all(Array.from({ length: CONNECTIONS }, worker));
  await pool.end();
  return {
    sends_per_s: Math.round(done / ((Date.now() - started) / 1000)),
    statements_per_send: sendCodeStatements('+0', randomUUID()).length,
  };
}

/** The statements of one send-code as verification.service.ts issues them (kept in step by hand). */
function sendCodeStatements(phone, id) {
  const hash = 'a'.repeat(64);
  const messageId = `floor-${id}`;
  return [
    ['BEGIN', []],
    ['SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [phone]],
    [
      `SELECT now() AS now, count(*) FILTER (WHERE created_at > now() - interval '1 hour')::int, count(*)::int,
              max(created_at),
              min(created_at) FILTER (WHERE created_at > now() - interval '1 hour'), min(created_at),
              (SELECT locked_until FROM phone_locks WHERE phone_number = $1 AND locked_until > now())
         FROM sms_verifications
        WHERE phone_number = $1 AND created_at > now() - interval '24 hours' AND status <> 'failed'`,
      [phone],
    ],
    [
      `UPDATE sms_verifications
          SET status = CASE WHEN expires_at <= now() THEN 'expired' ELSE 'canceled' END, updated_at = now()
        WHERE phone_number = $1 AND status = 'pending' RETURNING id, status`,
      [phone],
    ],
    [
      `WITH write_0 AS (INSERT INTO sms_verifications (id, phone_number, country, code_hash, status, attempts,
                                                       max_attempts, locale, is_test_number, ip, user_agent, expires_at)
                         VALUES ($1, $2, 'KZ', $3, 'pending', 0, 5, 'ru', false, '127.0.0.1', 'bench',
                                 now() + interval '300 seconds')),
            write_1 AS (INSERT INTO audit_events (type, outcome, phone_number, verification_id, ip, user_agent, details)
                         VALUES ('code_requested', 'success', $2, $1, '127.0.0.1', 'bench', '{}'))
       SELECT 1`,
      [id, phone, hash],
    ],
    ['COMMIT', []],
    [
      // The post-send record as onceStatement builds it: the code's state, then (only if that matched) the rows.
      `WITH once AS (UPDATE sms_verifications
                        SET provider = 'console', request_id = $2, delivery_status = 'delivered', updated_at = now()
                      WHERE id = $1 AND delivery_status IS NULL RETURNING id),
            insert_0 AS (INSERT INTO sms_deliveries (verification_id, attempt_number, provider, provider_message_id,
                                                     status, created_at, updated_at)
                         SELECT * FROM (VALUES ($1::uuid, 1, 'console', $2, 'delivered', now(), now())) AS guarded_rows
                          WHERE EXISTS (SELECT 1 FROM once)),
            insert_1 AS (INSERT INTO audit_events (type, outcome, phone_number, verification_id, provider, details)
                         SELECT * FROM (VALUES ('code_sent', 'success', $3, $1::uuid, 'console', '{}'::jsonb))
                                    AS guarded_rows
                          WHERE EXISTS (SELECT 1 FROM once))
       SELECT count(*)::int AS applied FROM once`,
      [id, messageId, phone],
    ],
  ];
}

function print(report) {
  console.log(
    `\nsms-auth bench (${report.label}): ${report.machine.cpus} cores, ${report.connections} connections, ` +
      `${report.duration_s} s per phase` +
      (report.seed ? `, seeded with ${report.seed.codes} codes` : ''),
  );
  console.table(report.results.map(({ note: _note, ...row }) => row));
  console.log(`server peak RSS: ${report.server.peak_rss_mb} MB`);
  console.log(
    `SQL floor of send-code (${report.sql_floor_send_code.statements_per_send} statements, ` +
      `pg Pool ×${report.connections}): ${report.sql_floor_send_code.sends_per_s} sends/s`,
  );
  console.log(
    `rows and audit events of every successful request: ${report.integrity.ok ? 'all present' : 'MISSING'}`,
    JSON.stringify(report.integrity),
  );
}

(WITH_PEER ? sideBySide() : alone()).catch((error) => {
  console.error(error);
  process.exit(1);
});
