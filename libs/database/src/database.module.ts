import { DynamicModule, Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { TypeOrmModule } from '@nestjs/typeorm';
import type { AppConfig } from '@app/config';
import { DataSource } from 'typeorm';
import { DatabaseAvailabilityService } from './database-availability.service';
import { keepPoolClientErrorsHandled } from './pool-client-errors';
import { SqlClient } from './sql-client';
import { DatabaseOptions, typeOrmOptions } from './typeorm-options';

@Module({})
export class DatabaseModule {
  /** Connects to `DATABASE_URL` and runs pending migrations before the app serves. */
  static forRoot(schema: Pick<DatabaseOptions, 'entities' | 'migrations'>): DynamicModule {
    return {
      module: DatabaseModule,
      // Global: the error filter (an APP_FILTER) reports outages to DatabaseAvailabilityService; the hot paths use
      // SqlClient.
      global: true,
      providers: [DatabaseAvailabilityService, SqlClient],
      exports: [DatabaseAvailabilityService, SqlClient],
      imports: [
        TypeOrmModule.forRootAsync({
          inject: [ConfigService],
          useFactory: (config: ConfigService<AppConfig, true>) => {
            const url = config.get('DATABASE_URL', { infer: true });
            if (!url)
              throw new Error('DATABASE_URL is not set (main.ts starts an embedded Postgres when it is missing)');
            return {
              ...typeOrmOptions({
                ...schema,
                url,
                poolSize: config.get('DATABASE_POOL_SIZE', { infer: true }),
                migrationsRun: true,
              }),
              // No retries: main.ts checks the connection first and stops with one line when it fails; TypeORM's
              // retries would log a stack each and hold the start for half a minute.
              retryAttempts: 0,
              toRetry: () => false,
            };
          },
          dataSourceFactory: async (options) => {
            if (!options) throw new Error('TypeORM options are missing');
            return keepPoolClientErrorsHandled(await new DataSource(options).initialize());
          },
        }),
      ],
    };
  }
}
