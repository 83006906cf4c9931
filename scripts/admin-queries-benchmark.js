#!/usr/bin/env node
/**
 * Seeds 1,000,000 codes (with their delivery attempts and 1,000,000 audit events) into a scratch
 * database and prints EXPLAIN (ANALYZE, BUFFERS) of every admin query, as the repositories build it.
 *
 *   npm run bench:admin-queries            # uses DATABASE_URL's server, or postgres://postgres@127.0.0.1:5432/postgres
 *   ROWS=200000 npm run bench:admin-queries
 *
 * A benchmark, not a test: it proves each query stays an index scan at this size and shows timings.
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

const ROWS = Number(process.env.ROWS ?? 1_000_000);
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
  const dataSource = { query: async (sql, params) => (captured.push({ sql, params }), []) };
  await build(dataSource);
  return captured[0];
}

async function explain(client, title, { sql, params }) {
  const { rows } = await client.query(`EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) ${sql}`, params);
  const plan = rows.map((row) => row['QUERY PLAN']);
  const usesIndex = plan.some((line) => /Index (Only )?Scan|Bitmap Index Scan/.test(line));
  const seqScan = plan.some((line) => /Seq Scan on (sms_verifications|audit_events)/.test(line));
  const execution = plan.find((line) => line.startsWith('Execution Time'));
  console.log(
    `\n### ${title}\n${usesIndex && !seqScan ? 'index scan' : 'NOT AN INDEX SCAN'} — ${execution}\n${plan.join('\n')}`,
  );
  return usesIndex && !seqScan;
}

async function main() {
  await timed('migrate', prepareDatabase);
  const client = new Client({ connectionString: benchUrl });
  await client.connect();
  await timed(`seed ${ROWS} codes, deliveries and audit events`, () => seedCodes(client, { rows: ROWS, days: DAYS }));
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
  const weekAgo = new Date(now.getTime() - 7 * 86_400_000);
  const dayAgo = new Date(now.getTime() - 86_400_000);
  const everything = new Date(0);
  const prices = new Map([
    ['mobizon', '0.012'],
    ['twilio', '0.0079'],
    ['eskiz', '0.005'],
  ]);

  const queries = [
    ['stats, last 7 days, group_by=day', (ds) => new StatsRepository(ds).figures(weekAgo, now, 'day', prices)],
    [
      'stats, last 7 days, group_by=provider',
      (ds) => new StatsRepository(ds).figures(weekAgo, now, 'provider', prices),
    ],
    ['stats, last 24 h, group_by=country', (ds) => new StatsRepository(ds).figures(dayAgo, now, 'country', prices)],
    [
      'verifications, first page',
      (ds) => new AdminVerificationsRepository(ds).page({ from: everything, to: now, limit: 50 }),
    ],
    [
      'verifications, page after a cursor',
      (ds) =>
        new AdminVerificationsRepository(ds).page({
          from: everything,
          to: now,
          limit: 50,
          after: { createdAt: cursorRow.created_at, id: cursorRow.id },
        }),
    ],
    [
      'verifications, by phone',
      (ds) =>
        new AdminVerificationsRepository(ds).page({ phone: sample.phone_number, from: everything, to: now, limit: 50 }),
    ],
    [
      'verifications, by status',
      (ds) =>
        new AdminVerificationsRepository(ds).page({
          status: 'max_attempts_reached',
          from: everything,
          to: now,
          limit: 50,
        }),
    ],
    [
      'verifications, by provider and range',
      (ds) => new AdminVerificationsRepository(ds).page({ provider: 'twilio', from: weekAgo, to: now, limit: 50 }),
    ],
    ['audit, first page', (ds) => new AdminAuditRepository(ds).page({ limit: 50 })],
    ['audit, page after a cursor', (ds) => new AdminAuditRepository(ds).page({ beforeId: auditCursor.id, limit: 50 })],
    ['audit, by type', (ds) => new AdminAuditRepository(ds).page({ type: 'code_verified', limit: 50 })],
    ['audit, by phone', (ds) => new AdminAuditRepository(ds).page({ phone: sample.phone_number, limit: 50 })],
    ['audit, by range', (ds) => new AdminAuditRepository(ds).page({ from: dayAgo, to: now, limit: 50 })],
  ];
  let allIndexed = true;
  for (const [title, build] of queries) allIndexed = (await explain(client, title, await capture(build))) && allIndexed;
  await client.end();
  if (process.env.KEEP_DATABASE !== 'true') {
    const admin = new Client({ connectionString: adminUrl });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await admin.end();
  }
  console.log(`\n${allIndexed ? 'Every query is an index scan.' : 'Some query is not an index scan.'}`);
  process.exitCode = allIndexed ? 0 : 1;
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
