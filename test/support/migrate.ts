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
