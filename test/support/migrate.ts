import { typeOrmOptions } from '@app/database';
import { DataSource } from 'typeorm';
import { ENTITIES, MIGRATIONS } from '../../apps/api/src/database/schema';

/** A DataSource on `url` with the service's entities and migrations; not yet initialised. */
export function schemaDataSource(url: string): DataSource {
  return new DataSource(typeOrmOptions({ url, poolSize: 2, entities: ENTITIES, migrations: MIGRATIONS }));
}

export async function migrate(url: string): Promise<void> {
  const dataSource = await schemaDataSource(url).initialize();
  try {
    await dataSource.runMigrations({ transaction: 'each' });
  } finally {
    await dataSource.destroy();
  }
}

/** Undoes migrations, newest first, until `name` is undone too (runMigrations brings them all back). */
export async function undoMigrationsThrough(dataSource: DataSource, name: string): Promise<void> {
  const applied = async () =>
    (await dataSource.query<{ name: string }[]>('SELECT name FROM migrations')).map((row) => row.name);
  while ((await applied()).includes(name)) await dataSource.undoLastMigration({ transaction: 'each' });
}
