import { type DataSource } from 'typeorm';
import { ENTITIES, MIGRATIONS } from '../apps/api/src/database/schema';
import { schemaDataSource } from './support/migrate';
import { createTestDatabase, type TestDatabase } from './support/test-database';

/** SPEC §6: the schema comes from migrations only; they must match the entities and be reversible. */

const TABLES = [
  'audit_events',
  'phone_locks',
  'refresh_tokens',
  'sessions',
  'sms_deliveries',
  'sms_verifications',
  'users',
];

async function publicTables(dataSource: DataSource): Promise<string[]> {
  const rows: { table_name: string }[] = await dataSource.query(
    "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name",
  );
  return rows.map((row) => row.table_name);
}

async function pendingSchemaChanges(dataSource: DataSource): Promise<string[]> {
  const sql = await dataSource.driver.createSchemaBuilder().log();
  return sql.upQueries.map((query) => query.query);
}

async function appendOnlyTriggers(dataSource: DataSource): Promise<string[]> {
  const rows: { tgname: string }[] = await dataSource.query(
    "SELECT tgname FROM pg_trigger WHERE tgrelid = to_regclass('public.audit_events') AND NOT tgisinternal ORDER BY tgname",
  );
  return rows.map((row) => row.tgname);
}

/** audit_events' partitions without both guards: the cloned row trigger and their own TRUNCATE trigger. */
async function unguardedPartitions(dataSource: DataSource): Promise<string[]> {
  const rows: { relname: string }[] = await dataSource.query(
    `SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
      WHERE i.inhparent = 'audit_events'::regclass
        AND (SELECT count(*) FROM pg_trigger t WHERE t.tgrelid = c.oid AND NOT t.tgisinternal
              AND t.tgname IN ('audit_events_no_truncate', 'audit_events_no_update_delete')) < 2
      ORDER BY 1`,
  );
  return rows.map((row) => row.relname);
}

async function auditPartitionCount(dataSource: DataSource): Promise<number> {
  const [row]: { n: number }[] = await dataSource.query(
    "SELECT count(*)::int AS n FROM pg_inherits WHERE inhparent = 'audit_events'::regclass",
  );
  return row.n;
}

describe('migrations and entities (SPEC §6)', () => {
  let database: TestDatabase;
  let dataSource: DataSource;

  beforeAll(async () => {
    database = await createTestDatabase();
    dataSource = await schemaDataSource(database.url).initialize();
  });
  afterAll(async () => {
    if (dataSource?.isInitialized) await dataSource.destroy();
    await database?.drop();
  });

  it('every entity is mapped to a table the migrations created', () => {
    expect(ENTITIES.map((entity) => dataSource.getMetadata(entity).tableName).sort()).toEqual(TABLES);
  });

  it('the migrated schema matches the entities: the schema builder has nothing to change', async () => {
    const upQueries = await pendingSchemaChanges(dataSource);
    expect({ upQueries }).toEqual({ upQueries: [] });
  });

  it('every migration is applied', async () => {
    expect(await dataSource.showMigrations()).toBe(false);
    const applied: { name: string }[] = await dataSource.query(
      `SELECT name FROM "${dataSource.options.migrationsTableName ?? 'migrations'}" ORDER BY id`,
    );
    expect(applied.map((row) => row.name)).toEqual(MIGRATIONS.map((migration) => migration.name));
    expect(await publicTables(dataSource)).toEqual(expect.arrayContaining(TABLES));
    expect(await appendOnlyTriggers(dataSource)).toEqual(['audit_events_no_truncate', 'audit_events_no_update_delete']);
    // Partitioned by month (PartitionAuditEvents): the default partition and the months ahead, each guarded.
    expect(await auditPartitionCount(dataSource)).toBeGreaterThanOrEqual(5);
    expect(await unguardedPartitions(dataSource)).toEqual([]);
  });

  it('every down() works: undoing all removes the tables; running again restores the same schema', async () => {
    for (let i = 0; i < MIGRATIONS.length; i++) await dataSource.undoLastMigration({ transaction: 'each' });

    expect(await dataSource.showMigrations()).toBe(true);
    const left = await publicTables(dataSource);
    for (const table of TABLES) expect(left).not.toContain(table);
    expect(left.filter((table) => table.startsWith('audit_events'))).toEqual([]);
    const functions: unknown[] = await dataSource.query(
      "SELECT 1 FROM pg_proc WHERE proname = 'audit_events_refuse_change'",
    );
    expect(functions).toHaveLength(0);

    const ran = await dataSource.runMigrations({ transaction: 'each' });
    expect(ran.map((migration) => migration.name)).toEqual(MIGRATIONS.map((migration) => migration.name));
    expect(await dataSource.showMigrations()).toBe(false);
    expect(await publicTables(dataSource)).toEqual(expect.arrayContaining(TABLES));
    expect({ upQueries: await pendingSchemaChanges(dataSource) }).toEqual({ upQueries: [] });
    expect(await appendOnlyTriggers(dataSource)).toEqual(['audit_events_no_truncate', 'audit_events_no_update_delete']);
    expect(await unguardedPartitions(dataSource)).toEqual([]);

    // The re-created trigger still guards the trail.
    await dataSource.query(
      "INSERT INTO audit_events (type, outcome, details) VALUES ('code_requested', 'success', '{}')",
    );
    await expect(dataSource.query('DELETE FROM audit_events')).rejects.toThrow(/append-only/);
  });
});
