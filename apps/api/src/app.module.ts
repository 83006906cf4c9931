import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { AuthModule } from '@app/auth';
import { AppConfigModule, AppConfigOptions } from '@app/config';
import { DatabaseModule, RedisModule } from '@app/database';
import { MetricsModule } from '@app/metrics';
import { RetentionModule } from '@app/retention';
import { VerificationModule } from '@app/verification';
import { AdminModule } from './admin/admin.module';
import { ENTITIES, MIGRATIONS } from './database/schema';
import { HealthModule } from './health/health.module';
import { DomainErrorFilter } from './http/domain-error.filter';
import { AppLoggerModule } from './http/logger.module';

@Module({})
export class AppModule {
  static forRoot(options: AppConfigOptions = {}): DynamicModule {
    return {
      module: AppModule,
      imports: [
        AppConfigModule.forRoot(options),
        AppLoggerModule,
        MetricsModule,
        DatabaseModule.forRoot({ entities: ENTITIES, migrations: MIGRATIONS }),
        RedisModule,
        AuthModule,
        VerificationModule,
        RetentionModule,
        HealthModule,
        AdminModule,
      ],
      providers: [{ provide: APP_FILTER, useClass: DomainErrorFilter }],
    };
  }
}
