import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { configWarnings, ensureDevelopmentSecrets, InvalidConfigError, validateEnv } from '@app/config';
import {
  checkDatabaseConnection,
  DatabaseUnreachableError,
  type EmbeddedPostgres,
  startEmbeddedPostgres,
} from '@app/database';
import { existsSync } from 'node:fs';
import type { Server } from 'node:http';
import { join } from 'node:path';
import { AppModule } from './app.module';
import { configureApp, createHttpAdapter } from './configure-app';
import { GracefulShutdown } from './http/graceful-shutdown';

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
  // An unreachable database stops the start here, with one line (see DatabaseUnreachableError).
  await checkDatabaseConnection(process.env.DATABASE_URL ?? '').catch(async (error: unknown) => {
    await embedded?.stop().catch(() => undefined);
    throw error;
  });
  const app = await NestFactory.create(AppModule.forRoot(), createHttpAdapter(config.TRUST_PROXY), {
    bufferLogs: true,
  });
  configureApp(app);
  const drainer = new GracefulShutdown(app.getHttpServer() as Server);
  for (const warning of configWarnings(config)) Logger.warn(warning, 'Config');

  /**
   * Stop accepting → let in-flight requests finish (bounded) → close the app and its pool → stop the embedded
   * Postgres → exit 0. Past SHUTDOWN_TIMEOUT_MS whatever still runs is cut off and the exit code is 1.
   */
  let closing = false;
  const shutdown = async (signal: NodeJS.Signals): Promise<void> => {
    if (closing) return;
    closing = true;
    const timeoutMs = config.SHUTDOWN_TIMEOUT_MS;
    const deadline = setTimeout(() => {
      Logger.error(`shutdown still not done after SHUTDOWN_TIMEOUT_MS (${timeoutMs} ms): exiting now`, 'Bootstrap');
      process.exit(1);
    }, timeoutMs);
    Logger.log(`${signal}: shutting down, ${drainer.inFlightRequests} requests in flight`, 'Bootstrap');
    // Most of the deadline is for requests; the rest for closing the pool and the embedded Postgres.
    const drained = await drainer.drain(timeoutMs - Math.min(2000, Math.floor(timeoutMs / 4)));
    if (!drained) Logger.warn(`requests still running at the shutdown deadline: their connections were closed`);
    await app.close().catch((error) => Logger.error(error, 'Bootstrap'));
    await embedded?.stop().catch(() => undefined);
    clearTimeout(deadline);
    process.exit(drained ? 0 : 1);
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void shutdown(signal));

  await app.listen(config.PORT, config.HOST);
  const base = `http://localhost:${config.PORT}`;
  Logger.log(`sms-auth listening on ${base} — Swagger UI at ${base}/docs`, 'Bootstrap');
}

// Before the app exists there is no logger to write with: the reason goes to stderr as it is.
bootstrap().catch((error: unknown) => {
  const oneLine = error instanceof InvalidConfigError || error instanceof DatabaseUnreachableError;
  const text = oneLine ? error.message : error instanceof Error ? error.stack : error;
  process.stderr.write(`${String(text)}\n`);
  process.exit(1);
});
