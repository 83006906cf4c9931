#!/usr/bin/env node
/**
 * For each size (SIZES, default 1,000,000 then 10,000,000 codes): seeds that many codes over 90 days (with
 * their delivery attempts, statistics rollups and one audit event each) into a scratch database, then times
 * every admin query as the repositories build it — the median of RUNS (15) executions after one warm-up — and
 * prints EXPLAIN (ANALYZE, BUFFERS) of each at the largest size. Ends with the table of latencies per size, the
 * ratio of the largest to the smallest, and whether each meets its target (stats ≤ 50 ms, list pages ≤ 5 ms,
 * largest within 1.5× of smallest).
 *
 *   npm run bench:admin-queries            # uses DATABASE_URL's server, or postgres://postgres@127.0.0.1:5432/postgres
 *   SIZES=200000 npm run bench:admin-queries
 *
 * A benchmark, not a test: no assertion on time anywhere else. The exit code is 1 when a list query is not an
 * index scan.
 */
const { Client } = require('pg');
const { DataSource } = require('typeorm');
const { seedCodes } = require('./bench-seed');

const DIST = '../dist/apps/api/src';
const { typeOrmOptions } = require('../dist/libs/database/src');
const { ENTITIES, MIGRATIONS } = require(`${DIST}/database/schema`);
const { StatsRepository } = require(`${DIST}/admin/stats/stats.repository`);
const { AdminVerificationsRepository } = require(`${DIST}/admin/verifications/admin-verifications.repository`);
const { AdminAuditRepository } = require(`${DIST}/admin/audit/admin-audit.repository`);

const SIZES = (process.env.SIZES ?? process.env.ROWS ?? '1000000,10000000').split(',').map(Number);
const RUNS = Number(process.env.RUNS ?? 15);
const STATS_TARGET_MS = 50;
const LIST_TARGET_MS = 5;
const FLAT_RATIO = 1.5;
const DAYS = 90;
const adminUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const database = 'sms_auth_admin_bench';
const benchUrl = (() => {
  const url = new URL(adminUrl);
  url.pathname = `/${database}`;
  return url.toString();
})();

async function timed(label, work) {
  const started = process.hrtime.bigint();
  const result = await work();
  console.log(`${label}: ${(Number(process.hrtime.bigint() - started) / 1e9).toFixed(1)} s`);
  return result;
}

async function prepareDatabase() {
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${database}`);
  await admin.end();
  const dataSource = await new DataSource(
    typeOrmOptions({ url: benchUrl, poolSize: 2, entities: ENTITIES, migrations: MIGRATIONS }),
  ).initialize();
  await dataSource.runMigrations();
  await dataSource.destroy();
}

/** The SQL a repository would run, captured without running it. */
async function capture(build) {
  const captured = [];
  const dataSource = {
    query: async (sql, params) => {
      // The statistics read the database's clock first (one short round trip, not timed here).
      if (sql === 'SELECT now() AS now') return [{ now: new Date() }];
      captured.push({ sql, params });
      return [];
    },
  };
  // Only the first statement matters; what the repository does with an empty answer may fail.
  await build(dataSource).catch(() => undefined);
  return captured[0];
}

/** The median wall time of `RUNS` executions of a statement, after one to warm the cache and the plan. */
async function latencyMs(client, { sql, params }) {
  await client.query(sql, params);
  const times = [];
  for (let run = 0; run < RUNS; run++) {
    const started = process.hrtime.bigint();
    await client.query(sql, params);
    times.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

/** Prints the plan; answers whether it reads through indexes (a seq scan of a table with rows is not). */
async function explain(client, title, { sql, params }) {
  const { rows } = await client.query(`EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) ${sql}`, params);
  const plan = rows.map((row) => row['QUERY PLAN']);
  const usesIndex = plan.some((line) => /Index (Only )?Scan|Bitmap Index Scan/.test(line));
  // An empty partition (a month ahead) is scanned in no time: only a scan that read rows counts.
  const seqScan = plan.some((line) => /Seq Scan on (sms_verifications|audit_events\S*) .*rows=[1-9]/.test(line));
  const execution = plan.find((line) => line.startsWith('Execution Time'));
  console.log(
    `\n### ${title}\n${usesIndex && !seqScan ? 'index scan' : 'NOT AN INDEX SCAN'} — ${execution}\n${plan.join('\n')}`,
  );
  return usesIndex && !seqScan;
}

/** The admin queries, each with its kind (stats or list), against a database seeded `now`. */
async function adminQueries(client) {
  const {
    rows: [sample],
  } = await client.query(`SELECT phone_number, user_id FROM sms_verifications ORDER BY created_at DESC LIMIT 1`);
  const {
    rows: [cursorRow],
  } = await client.query(
    `SELECT to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS created_at, id
      FROM sms_verifications ORDER BY created_at DESC, id DESC OFFSET 500 LIMIT 1`,
  );
  const {
    rows: [auditCursor],
  } = await client.query('SELECT id::text FROM audit_events ORDER BY id DESC OFFSET 500 LIMIT 1');
  const now = new Date();
  const hour = 3_600_000;
  // From the start of an hour (the dashboard's ranges): a range that cuts an hour reads that part of it from
  // the codes themselves, the last row shows what that costs.
  const hoursAgo = (hours) => new Date(Math.floor(now.getTime() / hour) * hour - hours * hour);
  const dayAgo = hoursAgo(24);
  const weekAgo = hoursAgo(7 * 24);
  const quarterAgo = hoursAgo(90 * 24);
  const everything = new Date(0);
  const pricing = {
    prices: new Map([
      ['mobizon', '0.012'],
      ['twilio', '0.0079'],
      ['eskiz', '0.005'],
    ]),
    currency: 'USD',
    smsPricePerCode: { byCountry: new Map([['UZ', '0.005']]), fallback: '0.012' },
  };
  const stats = (from, groupBy) => (ds) => new StatsRepository(ds).figures(from, now, groupBy, pricing);
  const queries = [];
  for (const [label, from] of [
    ['24 h', dayAgo],
    ['7 days', weekAgo],
    ['90 days', quarterAgo],
  ])
    for (const groupBy of ['day', 'provider', 'country', 'channel'])
      queries.push(['stats', `stats, ${label}, group_by=${groupBy}`, stats(from, groupBy)]);
  queries.push([
    'stats',
    'stats, 7 days from a time that cuts an hour, group_by=day',
    stats(new Date(weekAgo.getTime() + 37 * 60_000), 'day'),
  ]);
  const verifications = (filter) => (ds) => new AdminVerificationsRepository(ds).page(filter);
  const audit = (filter) => (ds) => new AdminAuditRepository(ds).page(filter);
  queries.push(
    ['list', 'verifications, first page', verifications({ from: everything, to: now, limit: 50 })],
    [
      'list',
      'verifications, page after a cursor',
      verifications({
        from: everything,
        to: now,
        limit: 50,
        after: { createdAt: cursorRow.created_at, id: cursorRow.id },
      }),
    ],
    [
      'list',
      'verifications, by phone',
      verifications({ phone: sample.phone_number, from: everything, to: now, limit: 50 }),
    ],
    [
      'list',
      'verifications, by status',
      verifications({ status: 'max_attempts_reached', from: everything, to: now, limit: 50 }),
    ],
    [
      'list',
      'verifications, by provider and range',
      verifications({ provider: 'twilio', from: weekAgo, to: now, limit: 50 }),
    ],
    ['list', 'audit, first page', audit({ limit: 50 })],
    ['list', 'audit, page after a cursor', audit({ beforeId: auditCursor.id, limit: 50 })],
    ['list', 'audit, by type', audit({ type: 'code_verified', limit: 50 })],
    ['list', 'audit, by phone', audit({ phone: sample.phone_number, limit: 50 })],
    ['list', 'audit, by range', audit({ from: dayAgo, to: now, limit: 50 })],
  );
  return queries;
}

async function measureSize(rows, printPlans) {
  await timed('migrate', prepareDatabase);
  const client = new Client({ connectionString: benchUrl });
  await client.connect();
  await timed(`seed ${rows} codes, deliveries, rollups and audit events`, () =>
    seedCodes(client, { rows, days: DAYS }),
  );
  const latencies = new Map();
  let listsIndexed = true;
  for (const [kind, title, build] of await adminQueries(client)) {
    const statement = await capture(build);
    latencies.set(title, { kind, ms: await latencyMs(client, statement) });
    if (printPlans) {
      const indexed = await explain(client, title, statement);
      if (kind === 'list') listsIndexed = indexed && listsIndexed;
    }
  }
  await client.end();
  return { latencies, listsIndexed };
}

function printTable(results) {
  const [smallest, largest] = [results[0], results[results.length - 1]];
  const table = [...largest.result.latencies].map(([title, { kind, ms }]) => {
    const row = { query: title };
    for (const { rows, result } of results)
      row[`${rows.toLocaleString('en')} codes, ms`] = result.latencies.get(title).ms.toFixed(2);
    const ratio = ms / smallest.result.latencies.get(title).ms;
    const target = kind === 'stats' ? STATS_TARGET_MS : LIST_TARGET_MS;
    if (results.length > 1) row.ratio = ratio.toFixed(2);
    row.target = `≤ ${target} ms${results.length > 1 ? `, ≤ ${FLAT_RATIO}×` : ''}`;
    row.met = ms <= target && (results.length === 1 || ratio <= FLAT_RATIO) ? 'yes' : 'NO';
    return row;
  });
  console.log(`\nmedian of ${RUNS} runs after a warm-up`);
  console.table(table);
}

async function main() {
  const results = [];
  for (const [index, rows] of SIZES.entries()) {
    console.log(`\n## ${rows.toLocaleString('en')} codes`);
    results.push({ rows, result: await measureSize(rows, index === SIZES.length - 1) });
  }
  if (process.env.KEEP_DATABASE !== 'true') {
    const admin = new Client({ connectionString: adminUrl });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await admin.end();
  }
  printTable(results);
  const listsIndexed = results[results.length - 1].result.listsIndexed;
  console.log(`\n${listsIndexed ? 'Every list query is an index scan.' : 'Some list query is not an index scan.'}`);
  process.exitCode = listsIndexed ? 0 : 1;
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
