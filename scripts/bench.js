#!/usr/bin/env node
/**
 * npm run bench — the service's cost per request, on a real Postgres.
 *
 * Starts the built service (console provider, generous per-IP limits, SMS_EXPOSE_CODE to learn codes)
 * on a scratch database of the local Postgres (or DATABASE_URL's server) and drives it with autocannon
 * at 50 connections: (a) send-code to distinct numbers, (b) verify-code of the codes (a) issued,
 * (c) refresh of the tokens (b) issued. Beside it, the SQL floor: the statements one send-code runs,
 * replayed through a pg Pool at the same concurrency. Prints a table and writes bench-results/*.json.
 * Checks afterwards that every successful request left its rows and audit events.
 *
 *   npm run bench                  DURATION=10 CONNECTIONS=50 LABEL=after npm run bench
 */
const { spawn } = require('node:child_process');
const { randomBytes, randomUUID } = require('node:crypto');
const { mkdirSync, readFileSync, writeFileSync } = require('node:fs');
const os = require('node:os');
const { join } = require('node:path');
const autocannon = require('autocannon');
const { Client, Pool } = require('pg');

const DURATION = Number(process.env.DURATION ?? 10);
const CONNECTIONS = Number(process.env.CONNECTIONS ?? 50);
const PORT = Number(process.env.BENCH_PORT ?? 3999);
const LABEL = process.env.LABEL ?? 'run';
const ADMIN_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const DATABASE = 'sms_auth_bench';
const BASE = `http://127.0.0.1:${PORT}`;

const dbUrl = (name) => Object.assign(new URL(ADMIN_URL), { pathname: `/${name}` }).toString();

async function adminQuery(sql) {
  const client = new Client({ connectionString: ADMIN_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** The server's CPU seconds (user + system) and peak RSS, from /proc. */
function processStats(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key) => Number(new RegExp(`${key}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { cpuSeconds: ticks / 100, peakRssMb: Math.round(kb('VmHWM') / 1024), rssMb: Math.round(kb('VmRSS') / 1024) };
}

async function startServer() {
  const env = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    NODE_ENV: 'test', // SMS_EXPOSE_CODE is refused in production; 'test' logs JSON like production does
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'info', // as in production: a line per request
    PORT: String(PORT),
    HOST: '127.0.0.1',
    DATABASE_URL: dbUrl(DATABASE),
    DATABASE_POOL_SIZE: process.env.DATABASE_POOL_SIZE ?? '20',
    JWT_SECRET: randomBytes(32).toString('base64url'),
    OTP_SECRET: randomBytes(32).toString('base64url'),
    SMS_EXPOSE_CODE: 'true',
    IP_SEND_LIMIT: '100000000',
    IP_VERIFY_LIMIT: '100000000',
    SMS_STATUS_POLL_INTERVAL_MS: '600000',
  };
  // BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" profiles the server.
  const nodeArgs = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, join(__dirname, '../dist/apps/api/src/main.js')], {
    env,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  for (let i = 0; i < 200; i++) {
    try {
      if ((await fetch(`${BASE}/health/ready`)).ok) return child;
    } catch {
      // not yet listening
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  child.kill('SIGKILL');
  throw new Error('the service did not become ready');
}

function summarize(name, result, server) {
  const non2xx = result.non2xx + result.errors + result.timeouts;
  return {
    name,
    requests: result.requests.total,
    rps: Math.round(result.requests.average),
    p50_ms: result.latency.p50,
    p99_ms: result.latency.p99,
    non2xx,
    server_cpu_percent: server ? Math.round((server.cpuSeconds / result.duration) * 100) : undefined,
  };
}

function run(options) {
  return new Promise((resolve, reject) => {
    const settings = {
      url: BASE,
      connections: CONNECTIONS,
      ...(options.amount ? {} : { duration: DURATION }),
      ...options,
    };
    const instance = autocannon(settings, (error, result) => (error ? reject(error) : resolve(result)));
    autocannon.track(instance, { renderProgressBar: false, renderResultsTable: false, renderLatencyTable: false });
  });
}

/** CPU seconds of every Postgres server process on this machine (the database shares the cores). */
function postgresCpuSeconds() {
  let ticks = 0;
  for (const pid of require('node:fs')
    .readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      if (!stat.includes('(postgres)')) continue;
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // the process ended meanwhile
    }
  }
  return ticks / 100;
}

async function measured(pid, name, options) {
  const before = processStats(pid);
  const postgresBefore = postgresCpuSeconds();
  const loadBefore = process.cpuUsage();
  const result = await run(options);
  const after = processStats(pid);
  const load = process.cpuUsage(loadBefore);
  return {
    ...summarize(name, result, { cpuSeconds: after.cpuSeconds - before.cpuSeconds }),
    postgres_cpu_percent: Math.round(((postgresCpuSeconds() - postgresBefore) / result.duration) * 100),
    load_generator_cpu_percent: Math.round(((load.user + load.system) / 1e6 / result.duration) * 100),
  };
}

async function main() {
  await adminQuery(`DROP DATABASE IF EXISTS ${DATABASE} WITH (FORCE)`);
  await adminQuery(`CREATE DATABASE ${DATABASE}`);
  const server = await startServer();
  const results = [];
  try {
    // (a) send-code to distinct numbers; the responses' debug_code feed (b).
    let counter = 0;
    const codes = [];
    results.push(
      await measured(server.pid, 'send-code', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        requests: [
          {
            setupRequest: (request) => {
              counter += 1;
              const phone = `+7701${String(counter).padStart(7, '0')}`;
              return { ...request, path: '/api/v1/sms-auth/send-code', body: JSON.stringify({ phone_number: phone }) };
            },
            onResponse: (status, body) => {
              if (status === 200) {
                const sent = JSON.parse(body);
                codes.push({ phone: sent.phone_number, code: sent.debug_code });
              }
            },
          },
        ],
      }),
    );

    // (b) verify-code, each code once.
    let nextCode = 0;
    const refreshTokens = [];
    results.push(
      await measured(server.pid, 'verify-code', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        amount: codes.length,
        requests: [
          {
            setupRequest: (request) => {
              const { phone, code } = codes[nextCode++ % codes.length];
              return {
                ...request,
                path: '/api/v1/sms-auth/verify-code',
                body: JSON.stringify({ phone_number: phone, code }),
              };
            },
            onResponse: (status, body) => {
              if (status === 200) refreshTokens.push(JSON.parse(body).refresh_token);
            },
          },
        ],
      }).then((summary) => ({ ...summary, note: `${codes.length} codes, each verified once` })),
    );

    // (c) refresh: a token is single-use, so each response's new token goes back into the queue.
    const queue = refreshTokens;
    results.push(
      await measured(server.pid, 'refresh', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        requests: [
          {
            setupRequest: (request) => ({
              ...request,
              path: '/api/v1/auth/refresh',
              body: JSON.stringify({ refresh_token: queue.shift() }),
            }),
            onResponse: (status, body) => {
              if (status === 200) queue.push(JSON.parse(body).refresh_token);
            },
          },
        ],
      }),
    );

    const memory = processStats(server.pid);
    const integrity = await checkRows(results);
    const floor = await sqlFloor();
    const report = {
      label: LABEL,
      at: new Date().toISOString(),
      machine: {
        cpus: os.cpus().length,
        model: os.cpus()[0]?.model,
        memory_gb: Math.round(os.totalmem() / 2 ** 30),
        node: process.version,
      },
      connections: CONNECTIONS,
      duration_s: DURATION,
      results,
      server: { peak_rss_mb: memory.peakRssMb },
      sql_floor_send_code: floor,
      integrity,
    };
    print(report);
    mkdirSync(join(__dirname, '../bench-results'), { recursive: true });
    const file = join(__dirname, `../bench-results/${LABEL}-${report.at.replace(/[:.]/g, '-')}.json`);
    writeFileSync(file, JSON.stringify(report, null, 2));
    console.log(`\nwritten: ${file}`);
    if (!integrity.ok) process.exitCode = 1;
  } finally {
    server.kill('SIGTERM');
    await new Promise((resolve) => server.once('exit', resolve));
    await adminQuery(`DROP DATABASE IF EXISTS ${DATABASE} WITH (FORCE)`);
  }
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
  const {
    rows: [row],
  } = await client.query(`
    SELECT (SELECT count(*) FROM sms_verifications)::int AS codes,
           (SELECT count(*) FROM sms_verifications v
             WHERE NOT EXISTS (SELECT 1 FROM audit_events e
                                WHERE e.verification_id = v.id AND e.type = 'code_requested')
           )::int AS codes_without_requested_event,
           (SELECT count(*) FROM sms_verifications v
             WHERE NOT EXISTS (SELECT 1 FROM sms_deliveries d WHERE d.verification_id = v.id)
                OR NOT EXISTS (SELECT 1 FROM audit_events e WHERE e.verification_id = v.id AND e.type = 'code_sent')
           )::int AS codes_without_delivery_or_sent_event,
           (SELECT count(*) FROM sms_verifications WHERE status = 'approved')::int AS verified_codes,
           (SELECT count(*) FROM sms_verifications v WHERE status = 'approved'
               AND (NOT EXISTS (SELECT 1 FROM audit_events e
                                 WHERE e.verification_id = v.id AND e.type = 'code_verified')
                    OR NOT EXISTS (SELECT 1 FROM sessions s WHERE s.user_id = v.user_id))
           )::int AS verified_without_event_or_session,
           (SELECT count(*) FROM refresh_tokens WHERE used_at IS NOT NULL)::int AS refreshed_tokens,
           (SELECT count(*) FROM audit_events WHERE type = 'token_refreshed')::int AS token_refreshed_events`);
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
      `WITH write_0 AS (INSERT INTO sms_deliveries (verification_id, attempt_number, provider, provider_message_id,
                                                     status, created_at, updated_at)
                         VALUES ($1, 1, 'console', $2, 'delivered', now(), now())),
            write_1 AS (UPDATE sms_verifications
                           SET provider = 'console', request_id = $2, delivery_status = 'delivered', updated_at = now()
                         WHERE id = $1),
            write_2 AS (INSERT INTO audit_events (type, outcome, phone_number, verification_id, provider, details)
                         VALUES ('code_sent', 'success', $3, $1, 'console', '{}'))
       SELECT 1`,
      [id, messageId, phone],
    ],
  ];
}

function print(report) {
  console.log(
    `\nsms-auth bench (${report.label}): ${report.machine.cpus} cores, ${report.connections} connections, ` +
      `${report.duration_s} s per phase`,
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

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
