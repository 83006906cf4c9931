import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { Pool } from 'pg';
import request from 'supertest';
import type TestAgent from 'supertest/lib/agent';
import { AppModule } from '../../apps/api/src/app.module';
import { configureApp, createHttpAdapter } from '../../apps/api/src/configure-app';
import { openApi, recordingAgent } from './response-recorder';
import { createTestDatabase, type TestDatabase } from './test-database';
import { baseTestEnv } from './test-env';
import { releasePooledConnections } from './test-pooler';

export interface TestApp {
  app: INestApplication;
  http: TestAgent;
  /** Direct SQL on the app's database, for arranging time and checking rows. */
  sql: Pool;
  database: TestDatabase;
  env: Record<string, string>;
  close(): Promise<void>;
}

export interface TestAppOptions {
  env?: Record<string, string>;
  /** Reuse a database (e.g. two instances sharing one); by default each app gets its own. */
  database?: TestDatabase;
  /** Third parties replaced at the DI boundary (e.g. SMS_PROVIDERS with a provider that fails on purpose). */
  overrides?: { provide: unknown; useValue: unknown }[];
}

/** The real AppModule on a real, freshly migrated Postgres, over real HTTP (supertest). */
export async function createTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const database = options.database ?? (await createTestDatabase());
  const env: Record<string, string> = { ...baseTestEnv(), ...options.env, DATABASE_URL: database.appUrl };
  let builder = Test.createTestingModule({ imports: [AppModule.forRoot({ env })] });
  for (const override of options.overrides ?? [])
    builder = builder.overrideProvider(override.provide).useValue(override.useValue);
  const moduleRef = await builder.compile();
  const app = moduleRef.createNestApplication(createHttpAdapter(env.TRUST_PROXY ?? 'false'), { bufferLogs: false });
  configureApp(app);
  await app.init();
  // Fastify adds the routes when it is ready: before that supertest would get 404s.
  await (app.getHttpAdapter().getInstance() as { ready(): Promise<unknown> }).ready();
  // The document every recorded response is checked against after the file (openapi-responses.setup.ts).
  openApi.document ??= (await request(app.getHttpServer()).get('/docs-json')).body;
  const sql = new Pool({ connectionString: database.url, max: 3 });
  // close() drops the database WITH (FORCE) while idle clients may still be closing: their 57P01 is expected.
  sql.on('error', () => undefined);
  return {
    app,
    http: recordingAgent(request(app.getHttpServer())),
    sql,
    database,
    env,
    close: async () => {
      await app.close();
      await sql.end();
      // drop() lets the pooler go of the database first; a shared database stays, its pooled connections not.
      await (options.database ? releasePooledConnections(database.appUrl) : database.drop());
    },
  };
}

let ipCounter = 0;
/** A distinct client address per call, sent as X-Forwarded-For (the test apps trust the proxy). */
export function nextIp(): string {
  ipCounter += 1;
  return `10.${(process.pid >> 8) & 255}.${(ipCounter >> 8) & 255}.${ipCounter & 255}`;
}

/** The number of `prefix` (an E.164 number without its last 4 digits) ending in `n`: `('+7701555', 7)` → +77015550007. */
export function numberInRange(prefix: string, n: number): string {
  return `${prefix}${String(n).padStart(4, '0')}`;
}

let phoneCounter = 0;
/** A distinct valid Kazakh mobile number per call, so tests never share phone limits. */
export function nextPhone(): string {
  phoneCounter += 1;
  const suffix = String((process.pid * 1000 + phoneCounter) % 10_000_000).padStart(7, '0');
  return `+7701${suffix}`;
}

/** A distinct valid Uzbek mobile number per call (for vendors that serve only Uzbekistan). */
export function nextUzbekPhone(): string {
  phoneCounter += 1;
  const suffix = String((process.pid * 1000 + phoneCounter) % 10_000_000).padStart(7, '0');
  return `+99890${suffix}`;
}
