import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { configWarnings, ensureDevelopmentSecrets, InvalidConfigError, validateEnv } from '@app/config';
import { type EmbeddedPostgres, startEmbeddedPostgres } from '@app/database';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { AppModule } from './app.module';
import { configureApp } from './configure-app';

async function bootstrap(): Promise<void> {
  const logger = new Logger('Bootstrap');
  // Variables already in the environment win over .env, as with ConfigModule.
  if (existsSync('.env')) process.loadEnvFile('.env');
  ensureDevelopmentSecrets(process.env);
  const config = validateEnv(process.env);
  let embedded: EmbeddedPostgres | undefined;
  if (!config.DATABASE_URL) {
    const dir = join(config.DATA_DIR, 'pg');
    embedded = await startEmbeddedPostgres({ dir, port: config.EMBEDDED_PG_PORT });
    process.env.DATABASE_URL = embedded.url;
    logger.log(`DATABASE_URL is not set: started an embedded Postgres in ${dir} on port ${config.EMBEDDED_PG_PORT}`);
  }
  const app = await NestFactory.create(AppModule.forRoot(), { bufferLogs: true });
  configureApp(app);
  for (const warning of configWarnings(config)) Logger.warn(warning, 'Config');

  let closing = false;
  const shutdown = async (signal: NodeJS.Signals): Promise<void> => {
    if (closing) return;
    closing = true;
    Logger.log(`${signal}: shutting down`, 'Bootstrap');
    await app.close().catch((error) => Logger.error(error, 'Bootstrap'));
    await embedded?.stop().catch(() => undefined);
    process.exit(0);
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void shutdown(signal));

  await app.listen(config.PORT, config.HOST);
  const base = `http://localhost:${config.PORT}`;
  Logger.log(`sms-auth listening on ${base} — Swagger UI at ${base}/docs`, 'Bootstrap');
}

// Before the app exists there is no logger to write with: the reason goes to stderr as it is.
bootstrap().catch((error: unknown) => {
  const text = error instanceof InvalidConfigError ? error.message : error instanceof Error ? error.stack : error;
  process.stderr.write(`${String(text)}\n`);
  process.exit(1);
});
