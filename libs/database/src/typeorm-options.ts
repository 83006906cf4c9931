import type { DataSourceOptions, MixedList, EntitySchema } from 'typeorm';
import { DATABASE_CONNECT_TIMEOUT_MS } from './database-unavailable';

export interface DatabaseOptions {
  url: string;
  poolSize: number;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  entities: MixedList<Function | string | EntitySchema>;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
  migrations: MixedList<Function | string>;
  /** Run pending migrations when the connection opens (the app does; the CLI does not). */
  migrationsRun?: boolean;
}

/** The one place TypeORM is configured: migrations only, never `synchronize`. */
export function typeOrmOptions(options: DatabaseOptions): DataSourceOptions {
  return {
    type: 'postgres',
    url: options.url,
    entities: options.entities,
    migrations: options.migrations,
    migrationsRun: options.migrationsRun ?? false,
    migrationsTransactionMode: 'each',
    synchronize: false,
    uuidExtension: 'pgcrypto',
    // Off: TypeORM would print failing queries with their parameters. Errors reach the error filter instead.
    logging: false,
    // A bounded connect: while the server is gone, requests fail fast (503) instead of waiting for the OS.
    extra: {
      max: options.poolSize,
      application_name: 'sms-auth',
      connectionTimeoutMillis: DATABASE_CONNECT_TIMEOUT_MS,
    },
  };
}
