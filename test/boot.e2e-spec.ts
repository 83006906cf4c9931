import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { newSigningKey } from './support/access-tokens';
import { createTestDatabase, type TestDatabase } from './support/test-database';
import {
  freePort,
  postJson,
  type ServerProcess,
  startServer as spawnServer,
  waitForOutput,
  waitUntilReady,
} from './support/server-process';

const strongSecret = () => randomBytes(48).toString('base64url');

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The built service as a person runs it: a real process, real signals, real logs. */
describe('the service process', () => {
  let workDir: string;
  let database: TestDatabase;
  const started: ServerProcess[] = [];
  /** Every server a test starts is killed after it, even when the test fails half-way. */
  const startServer = (env: Record<string, string>, cwd: string) => {
    const server = spawnServer(env, cwd);
    started.push(server);
    return server;
  };

  afterEach(() => {
    for (const server of started.splice(0)) if (server.child.exitCode === null) server.child.kill('SIGKILL');
  });

  beforeAll(async () => {
    workDir = mkdtempSync(join(tmpdir(), 'sms-auth-boot-'));
    if (process.getuid?.() === 0) chmodSync(workDir, 0o777);
    database = await createTestDatabase();
  });
  afterAll(async () => {
    await database.drop();
    rmSync(workDir, { recursive: true, force: true });
  });

  it('refuses to start with a wrong value and names the key', async () => {
    const server = startServer(
      {
        DATABASE_URL: database.appUrl,
        OTP_LENGTH: '3',
        JWT_SECRET: strongSecret(),
        OTP_SECRET: strongSecret(),
        PORT: String(await freePort()),
      },
      workDir,
    );
    expect(await server.exited).toBe(1);
    expect(server.output()).toContain('OTP_LENGTH');
  });

  it('refuses to start in production with a weak secret and names it', async () => {
    const server = startServer(
      {
        NODE_ENV: 'production',
        DATABASE_URL: database.appUrl,
        JWT_ALGORITHM: 'HS256',
        JWT_SECRET: 'change-me-change-me-change-me-change-me',
        OTP_SECRET: strongSecret(),
        PORT: String(await freePort()),
      },
      workDir,
    );
    expect(await server.exited).toBe(1);
    expect(server.output()).toContain('JWT_SECRET');
    expect(server.output()).not.toContain('change-me');
  });

  it('refuses to start in production without signing keys, in one line naming JWT_PRIVATE_KEYS', async () => {
    const server = startServer(
      {
        NODE_ENV: 'production',
        DATABASE_URL: database.appUrl,
        JWT_SECRET: strongSecret(),
        OTP_SECRET: strongSecret(),
        PORT: String(await freePort()),
        DATA_DIR: join(workDir, 'no-keys'),
      },
      workDir,
    );
    expect(await server.exited).toBe(1);
    const problems = server
      .output()
      .split('\n')
      .filter((line) => line.includes('JWT_PRIVATE_KEYS'));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain('JWT_ALGORITHM=HS256');
    expect(server.output()).not.toMatch(/\n\s+at /);
    // Production never generates a key.
    expect(existsSync(join(workDir, 'no-keys'))).toBe(false);
  });

  it('refuses to start in production without DATABASE_URL rather than run an embedded database', async () => {
    const server = startServer(
      {
        NODE_ENV: 'production',
        JWT_PRIVATE_KEYS: newSigningKey('ES256').pem,
        JWT_SECRET: strongSecret(),
        OTP_SECRET: strongSecret(),
        PORT: String(await freePort()),
        DATA_DIR: join(workDir, 'never'),
      },
      workDir,
    );
    expect(await server.exited).toBe(1);
    expect(server.output()).toContain('DATABASE_URL');
  });

  it('never logs codes, tokens or secrets in production, even at trace level', async () => {
    const env = {
      NODE_ENV: 'production',
      LOG_LEVEL: 'trace',
      DATABASE_URL: database.appUrl,
      JWT_PRIVATE_KEYS: newSigningKey('ES256').pem,
      JWT_SECRET: strongSecret(),
      OTP_SECRET: strongSecret(),
      PORT: String(await freePort()),
      SMS_TEST_NUMBERS: '+77000000009:918273',
      ALLOW_TEST_NUMBERS_IN_PRODUCTION: 'true',
    };
    const server = startServer(env, workDir);
    try {
      await waitUntilReady(server);
      expect(
        (await postJson(server.baseUrl, '/api/v1/sms-auth/send-code', { phone_number: '+77011234599' })).status,
      ).toBe(200);
      expect(
        (await postJson(server.baseUrl, '/api/v1/sms-auth/send-code', { phone_number: '+77000000009' })).status,
      ).toBe(200);
      const login = await postJson(server.baseUrl, '/api/v1/sms-auth/verify-code', {
        phone_number: '+77000000009',
        code: '918273',
      });
      expect(login.status).toBe(200);
      const refreshed = await postJson(server.baseUrl, '/api/v1/auth/refresh', {
        refresh_token: login.body.refresh_token,
      });
      expect(refreshed.status).toBe(200);
      await fetch(`${server.baseUrl}/api/v1/auth/me`, {
        headers: { authorization: `Bearer ${refreshed.body.access_token}` },
      });

      server.child.kill('SIGTERM');
      expect(await server.exited).toBe(0);
      const logs = server.output();
      expect(logs).toContain('sms-auth listening');
      for (const secret of [
        ...env.JWT_PRIVATE_KEYS.split('\n').filter((line) => line.length > 20 && !line.startsWith('-----')),
        env.JWT_SECRET,
        env.OTP_SECRET,
        '918273',
        login.body.refresh_token,
        login.body.access_token,
        refreshed.body.refresh_token,
        refreshed.body.access_token,
      ]) {
        expect(logs).not.toContain(secret);
      }
      expect(logs).not.toMatch(/Ваш код|verification code:/);
    } finally {
      server.child.kill('SIGKILL');
    }
  });

  it('without DATABASE_URL runs on an embedded Postgres, recovers from kill -9 and stops it cleanly on SIGINT', async () => {
    const env = {
      NODE_ENV: 'development',
      DATA_DIR: join(workDir, 'data'),
      EMBEDDED_PG_PORT: String(await freePort()),
      PORT: String(await freePort()),
      SMS_EXPOSE_CODE: 'true',
    };

    const first = startServer(env, workDir);
    await waitUntilReady(first);
    const sent = await postJson(first.baseUrl, '/api/v1/sms-auth/send-code', { phone_number: '+77011234598' });
    expect(sent.status).toBe(200);
    // The console provider prints the message, code included, in development.
    await waitForOutput(first, `SMS to +77011234598: `);
    await waitForOutput(first, sent.body.debug_code);
    const firstLogin = await postJson(first.baseUrl, '/api/v1/sms-auth/verify-code', {
      phone_number: '+77011234597',
      code: (await postJson(first.baseUrl, '/api/v1/sms-auth/send-code', { phone_number: '+77011234597' })).body
        .debug_code,
    });
    expect(firstLogin.status).toBe(200);
    const firstToken = firstLogin.body.access_token as string;
    first.child.kill('SIGKILL');
    await first.exited;
    const orphan = Number(readFileSync(join(env.DATA_DIR, 'pg', 'postmaster.pid'), 'utf8').split('\n')[0]);
    expect(isAlive(orphan)).toBe(true);

    const second = startServer(env, workDir);
    await waitUntilReady(second);
    // The data survived the crash: the code sent before it still verifies.
    const verified = await postJson(second.baseUrl, '/api/v1/sms-auth/verify-code', {
      phone_number: '+77011234598',
      code: sent.body.debug_code,
    });
    expect(verified.status).toBe(200);
    // The development signing key was generated once into DATA_DIR and is reused: a token of the first run verifies.
    expect(statSync(join(env.DATA_DIR, 'jwt-es256.pem')).mode & 0o777).toBe(0o600);
    const me = await fetch(`${second.baseUrl}/api/v1/auth/me`, {
      headers: { authorization: `Bearer ${firstToken}` },
    });
    expect(me.status).toBe(200);
    const postmaster = Number(readFileSync(join(env.DATA_DIR, 'pg', 'postmaster.pid'), 'utf8').split('\n')[0]);
    second.child.kill('SIGINT');
    expect(await second.exited).toBe(0);
    expect(isAlive(orphan)).toBe(false);
    expect(isAlive(postmaster)).toBe(false);
  });
});
