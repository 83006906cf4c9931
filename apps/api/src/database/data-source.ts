import 'reflect-metadata';
import { typeOrmOptions } from '@app/database';
import { DataSource } from 'typeorm';
import { ENTITIES, MIGRATIONS } from './schema';

/** For the TypeORM CLI (`npm run migration:run`, `migration:generate`): reads DATABASE_URL. */
export default new DataSource(
  typeOrmOptions({
    url: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
    poolSize: 2,
    entities: ENTITIES,
    migrations: MIGRATIONS,
  }),
);
