import { DynamicModule, Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { validateEnv } from './validate-env';

export interface AppConfigOptions {
  /** Variables to validate instead of `process.env` and `.env` (tests pin their configuration this way). */
  env?: Record<string, string | undefined>;
}

@Module({})
export class AppConfigModule {
  static forRoot(options: AppConfigOptions = {}): DynamicModule {
    return {
      module: AppConfigModule,
      imports: [
        ConfigModule.forRoot({
          isGlobal: true,
          cache: true,
          skipProcessEnv: true,
          ignoreEnvFile: options.env !== undefined,
          validate: (raw) => validateEnv(options.env ?? raw),
        }),
      ],
      exports: [ConfigModule],
    };
  }
}
