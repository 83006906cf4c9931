import { Pool } from 'pg';
import { type DataSource } from 'typeorm';
import { schemaDataSource, undoMigrationsThrough } from '../support/migrate';
import { createTestDatabase, type TestDatabase } from '../support/test-database';

/** audit_events partitioned by month (migration PartitionAuditEvents): the move, the partitions, the guard, the drop. */

const PARTITIONING = 'PartitionAuditEvents1795362000000';
const DAY_MS = 86_400_000;

/** The partition of the UTC month holding `at`: audit_events_YYYY_MM. */
function partitionOf(at: Date): string {
  return `audit_events_${at.getUTCFullYear()}_${String(at.getUTCMonth() + 1).padStart(2, '0')}`;
}

/** The first instant of the UTC month `months` after the one holding `at`. */
function monthsAfter(at: Date, months: number): Date {
  return new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth() + months, 1));
}

async function partitions(sql: Pool): Promise<string[]> {
  const { rows } = await sql.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
      WHERE i.inhparent = 'audit_events'::regclass ORDER BY 1`,
  );
  return rows.map((row) => row.name);
}

/** Inserts one event at `at` and answers its id and the partition it landed in. */
async function insertAt(sql: Pool, at: Date | string, type = 'code_requested'): Promise<{ id: string; place: string }> {
  const { rows } = await sql.query<{ id: string; place: string }>(
    `INSERT INTO audit_events (occurred_at, type, outcome, details) VALUES ($1, $2, 'success', '{}')
     RETURNING id::text, tableoid::regclass::text AS place`,
    [at, type],
  );
  return rows[0];
}

async function placeOf(sql: Pool, id: string): Promise<string | undefined> {
  const { rows } = await sql.query<{ place: string }>(
    'SELECT tableoid::regclass::text AS place FROM audit_events WHERE id = $1',
    [id],
  );
  return rows[0]?.place;
}

async function allEvents(sql: Pool): Promise<unknown[]> {
  const { rows } = await sql.query('SELECT * FROM audit_events ORDER BY id');
  return rows;
}

async function relationKind(sql: Pool): Promise<string> {
  const { rows } = await sql.query<{ relkind: string }>(
    "SELECT relkind FROM pg_class WHERE oid = 'audit_events'::regclass",
  );
  return rows[0].relkind;
}

describe('the migration partitions audit_events and keeps every row', () => {
  let database: TestDatabase;
  let dataSource: DataSource;
  let sql: Pool;

  beforeAll(async () => {
    database = await createTestDatabase();
    dataSource = await schemaDataSource(database.url).initialize();
    sql = new Pool({ connectionString: database.url, max: 2 });
    // Pool.end() does not wait for its connections to close: the DROP DATABASE … WITH (FORCE) after the file can
    // end one under it, and its 57P01 is expected (as in test-app.ts).
    sql.on('error', () => undefined);
  });
  afterAll(async () => {
    await sql?.end();
    if (dataSource?.isInitialized) await dataSource.destroy();
    await database?.drop();
  });

  it('moves the rows of a plain table into one partition per month, ids and all, and back on down()', async () => {
    await undoMigrationsThrough(dataSource, PARTITIONING);
    expect(await relationKind(sql)).toBe('r');
    const now = new Date();
    const times = [
      now,
      new Date(now.getTime() - 40 * DAY_MS),
      new Date(now.getTime() - 420 * DAY_MS),
      new Date('2019-03-31T23:59:59.999Z'),
      new Date('2099-06-15T12:00:00Z'),
    ];
    for (const at of times) await insertAt(sql, at);
    await sql.query(
      `INSERT INTO audit_events (type, outcome, phone_number, user_id, verification_id, session_id, provider, ip,
         user_agent, details)
       VALUES ('code_verified', 'success', '+77001234567', gen_random_uuid(), gen_random_uuid(), gen_random_uuid(),
         'mobizon', '203.0.113.7', 'test/1', '{"attempts_left": 3}')`,
    );
    const before = await allEvents(sql);
    const lastId = Number((before.at(-1) as { id: string }).id);

    await dataSource.runMigrations({ transaction: 'each' });

    expect(await relationKind(sql)).toBe('p');
    expect(await allEvents(sql)).toEqual(before);
    const { rows: placed } = await sql.query<{ occurred_at: Date; place: string }>(
      'SELECT occurred_at, tableoid::regclass::text AS place FROM audit_events',
    );
    for (const row of placed) expect(row.place).toBe(partitionOf(row.occurred_at));
    // The current month and the three after it exist ahead, with the default partition beside them.
    const names = await partitions(sql);
    for (let ahead = 0; ahead <= 3; ahead++) expect(names).toContain(partitionOf(monthsAfter(now, ahead)));
    expect(names).toContain('audit_events_default');
    expect(names).toContain('audit_events_2019_03');
    // The identity goes on where it was.
    expect(Number((await insertAt(sql, new Date())).id)).toBe(lastId + 1);

    const partitioned = await allEvents(sql);
    await undoMigrationsThrough(dataSource, PARTITIONING);
    expect(await relationKind(sql)).toBe('r');
    expect(await allEvents(sql)).toEqual(partitioned);
    expect(Number((await insertAt(sql, new Date())).id)).toBe(lastId + 2);
    await expect(sql.query('DELETE FROM audit_events')).rejects.toThrow(/append-only/);

    await dataSource.runMigrations({ transaction: 'each' });
    expect(await relationKind(sql)).toBe('p');
    expect((await allEvents(sql)).length).toBe(partitioned.length + 1);
  });
});

describe('monthly partitions of audit_events', () => {
  let database: TestDatabase;
  let sql: Pool;

  beforeAll(async () => {
    database = await createTestDatabase();
    sql = new Pool({ connectionString: database.url, max: 2 });
    // Pool.end() does not wait for its connections to close: the DROP DATABASE … WITH (FORCE) after the file can
    // end one under it, and its 57P01 is expected (as in test-app.ts).
    sql.on('error', () => undefined);
    await insertAt(sql, new Date());
  });
  afterAll(async () => {
    await sql?.end();
    await database?.drop();
  });

  it('an event of a month without a partition, far ahead or far back, lands in the default partition', async () => {
    for (const at of ['2199-01-01T00:00:00Z', '1990-07-04T10:00:00Z', '9999-12-31T23:59:59Z', '0001-01-01T00:00:00Z'])
      expect((await insertAt(sql, at)).place).toBe('audit_events_default');
    expect((await insertAt(sql, new Date())).place).toBe(partitionOf(new Date()));
  });

  it('creating partitions moves the rows of their months out of the default one; rows beyond the horizon stay', async () => {
    const now = new Date();
    const fiveAhead = monthsAfter(now, 5);
    const pastMonth = new Date('2001-02-10T08:00:00Z');
    const ahead = await insertAt(sql, new Date(fiveAhead.getTime() + 3 * DAY_MS));
    const past = await insertAt(sql, pastMonth);
    const beyond = await insertAt(sql, '2299-05-01T00:00:00Z');
    for (const row of [ahead, past, beyond]) expect(row.place).toBe('audit_events_default');
    const before = await allEvents(sql);

    const { rows: created } = await sql.query<{ partition_name: string; moved_rows: string }>(
      'SELECT partition_name, moved_rows FROM sms_auth_audit_ensure_partitions(5)',
    );

    expect(created).toEqual(
      expect.arrayContaining([
        { partition_name: partitionOf(fiveAhead), moved_rows: '1' },
        { partition_name: partitionOf(monthsAfter(now, 4)), moved_rows: '0' },
        { partition_name: 'audit_events_2001_02', moved_rows: '1' },
        { partition_name: 'audit_events_1990_07', moved_rows: '1' },
      ]),
    );
    expect(await placeOf(sql, ahead.id)).toBe(partitionOf(fiveAhead));
    expect(await placeOf(sql, past.id)).toBe('audit_events_2001_02');
    expect(await placeOf(sql, beyond.id)).toBe('audit_events_default');
    expect(await allEvents(sql)).toEqual(before);
    // A second call finds everything in place.
    const { rows: again } = await sql.query('SELECT * FROM sms_auth_audit_ensure_partitions(5)');
    expect(again).toEqual([]);
  });

  describe('the append-only guard covers the parent and every partition', () => {
    const targets = () => [
      ['audit_events', 'audit_events'],
      ['the current month', partitionOf(new Date())],
      ['the default partition', 'audit_events_default'],
      ['a partition created later', partitionOf(monthsAfter(new Date(), 5))],
    ];

    it.each([
      ['UPDATE', (table: string) => `UPDATE ${table} SET outcome = 'tampered'`],
      ['DELETE', (table: string) => `DELETE FROM ${table}`],
      ['TRUNCATE', (table: string) => `TRUNCATE ${table}`],
    ])('refuses %s', async (_, statement) => {
      const before = await allEvents(sql);
      for (const [, table] of targets()) {
        const { rows } = await sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`);
        expect(rows[0].n).toBeGreaterThan(0);
        await expect(sql.query(statement(table))).rejects.toThrow(/append-only/);
      }
      expect(await allEvents(sql)).toEqual(before);
    });
  });

  it('drops only the partitions wholly older than the retention, each with its audit event', async () => {
    const now = Date.now();
    const expired = await insertAt(sql, new Date(now - 500 * DAY_MS));
    // The month holding the cutoff (400 days ago) is not wholly older than it.
    const atCutoff = await insertAt(sql, new Date(now - 400 * DAY_MS + 3_600_000));
    const kept = await insertAt(sql, new Date(now - 380 * DAY_MS));
    await sql.query('SELECT sms_auth_audit_ensure_partitions(3)');
    const expiredPartition = partitionOf(new Date(now - 500 * DAY_MS));
    expect(await placeOf(sql, expired.id)).toBe(expiredPartition);
    const { rows: counted } = await sql.query<{ n: string }>(`SELECT count(*) AS n FROM ${expiredPartition}`);

    const { rows: dropped } = await sql.query<{
      partition_name: string;
      range_from: Date;
      range_to: Date;
      dropped_rows: string;
    }>('SELECT * FROM sms_auth_audit_drop_partitions(400)');

    const cutoff = Date.now() - 400 * DAY_MS;
    const names = dropped.map((row) => row.partition_name);
    expect(names).toEqual(expect.arrayContaining([expiredPartition, 'audit_events_2001_02', 'audit_events_1990_07']));
    for (const row of dropped) expect(row.range_to.getTime()).toBeLessThanOrEqual(cutoff);
    expect(names).not.toContain('audit_events_default');
    expect(dropped.find((row) => row.partition_name === expiredPartition)?.dropped_rows).toBe(counted[0].n);
    expect(await placeOf(sql, expired.id)).toBeUndefined();
    expect(await placeOf(sql, atCutoff.id)).toBe(partitionOf(new Date(now - 400 * DAY_MS + 3_600_000)));
    expect(await placeOf(sql, kept.id)).toBe(partitionOf(new Date(now - 380 * DAY_MS)));
    const left = await partitions(sql);
    for (const name of names) expect(left).not.toContain(name);
    expect(left).toContain('audit_events_default');

    const { rows: events } = await sql.query<{ outcome: string; phone_number: null; details: Record<string, unknown> }>(
      `SELECT outcome, phone_number, details FROM audit_events WHERE type = 'audit_partition_dropped' ORDER BY id`,
    );
    expect(events).toHaveLength(dropped.length);
    events.forEach((event, index) =>
      expect(event).toEqual({
        outcome: 'success',
        phone_number: null,
        details: {
          partition: dropped[index].partition_name,
          from: dropped[index].range_from.toISOString(),
          to: dropped[index].range_to.toISOString(),
          rows: Number(dropped[index].dropped_rows),
          retention_days: 400,
        },
      }),
    );
    // Nothing else is old enough now.
    const { rows: again } = await sql.query('SELECT * FROM sms_auth_audit_drop_partitions(400)');
    expect(again).toEqual([]);
  });
});
