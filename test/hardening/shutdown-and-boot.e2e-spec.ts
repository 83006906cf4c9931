import { Agent, request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { mkdtempSync, chmodSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { eventually } from '../support/eventually';
import { SEND_CODE } from '../support/http-helpers';
import {
  freePort,
  type ServerProcess,
  startServer as spawnServer,
  waitForOutput,
  waitUntilReady,
} from '../support/server-process';
import { nextPhone } from '../support/test-app';
import { createTestDatabase, type TestDatabase } from '../support/test-database';
import { baseTestEnv } from '../support/test-env';

/**
 * Issue 9, items 9 and 10, on the built service as a process: SIGTERM drains in-flight requests (answered
 * with `Connection: close`, the pool still open) within SHUTDOWN_TIMEOUT_MS, and a database that cannot be
 * reached at boot stops the start with one line.
 */

interface Answer {
  status: number;
  connection: string | undefined;
  body: string;
}

/** One request over node:http (fetch hides `Connection`), on `agent`'s keep-alive connections. */
function call(port: number, agent: Agent, method: string, path: string, body?: unknown): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port,
        method,
        path,
        agent,
        headers: payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {},
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection, body: text }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/** Whether a new TCP connection to the port is accepted. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** `promise`'s value, or `fallback` when it takes longer than `ms` (a bounded wait; the timer is cleared). */
async function within<T, F>(promise: Promise<T>, ms: number, fallback: F): Promise<T | F> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<F>((resolve) => (timer = setTimeout(() => resolve(fallback), ms)));
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** The exit code, or 'still running' when the process has not exited within `ms`. */
const exitWithin = (server: ServerProcess, ms: number) => within(server.exited, ms, 'still running' as const);

describe('the service process: graceful shutdown and boot without a database', () => {
  let workDir: string;
  let database: TestDatabase;
  let locker: Client | undefined;
  const started: ServerProcess[] = [];
  const startServer = (env: Record<string, string>) => {
    const server = spawnServer(env, workDir);
    started.push(server);
    return server;
  };

  beforeAll(async () => {
    workDir = mkdtempSync(join(tmpdir(), 'sms-auth-shutdown-'));
    if (process.getuid?.() === 0) chmodSync(workDir, 0o777);
    database = await createTestDatabase();
  });

  afterEach(async () => {
    for (const server of started.splice(0)) if (server.child.exitCode === null) server.child.kill('SIGKILL');
    await locker?.end().catch(() => undefined);
    locker = undefined;
  });

  afterAll(async () => {
    await database.drop();
    rmSync(workDir, { recursive: true, force: true });
  });

  const serviceEnv = async (shutdownTimeoutMs: number) => ({
    ...baseTestEnv(),
    LOG_LEVEL: 'info',
    SMS_EXPOSE_CODE: 'false',
    DATABASE_URL: database.appUrl,
    PORT: String(await freePort()),
    SHUTDOWN_TIMEOUT_MS: String(shutdownTimeoutMs),
  });

  /**
   * Holds every table send-code writes behind an exclusive lock, so its requests stay in flight (waiting in
   * Postgres, holding a pool connection) until `release`.
   */
  async function holdSendCode(): Promise<{ release(): Promise<void> }> {
    locker = new Client({ connectionString: database.url });
    await locker.connect();
    await locker.query('BEGIN');
    await locker.query('LOCK TABLE sms_verifications, phone_locks, users IN ACCESS EXCLUSIVE MODE');
    const held = locker;
    return { release: () => held.query('ROLLBACK').then(() => undefined) };
  }

  /** Waits until `count` of the service's connections wait for a lock in Postgres. */
  async function waitForBlocked(count: number): Promise<void> {
    const admin = new Client({ connectionString: database.url });
    await admin.connect();
    try {
      await eventually(async () => {
        const { rows } = await admin.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM pg_stat_activity
            WHERE datname = current_database() AND application_name = 'sms-auth' AND wait_event_type = 'Lock'`,
        );
        return rows[0].n >= count;
      }, `${count} requests wait in Postgres`);
    } finally {
      await admin.end();
    }
  }

  it('on SIGTERM stops accepting, finishes in-flight requests with Connection: close, then exits 0', async () => {
    const env = await serviceEnv(4000);
    const port = Number(env.PORT);
    const server = startServer(env);
    await waitUntilReady(server);

    // Busy keep-alive clients: each reuses one connection for database-backed requests, non-stop.
    let stop = false;
    const hammerAnswers: Answer[] = [];
    const hammerErrors: string[] = [];
    const hammers = Array.from({ length: 4 }, async () => {
      const agent = new Agent({ keepAlive: true, maxSockets: 1 });
      try {
        while (!stop) {
          try {
            hammerAnswers.push(await call(port, agent, 'GET', '/health/ready'));
          } catch (error) {
            hammerErrors.push((error as NodeJS.ErrnoException).code ?? String(error));
            return;
          }
        }
      } finally {
        agent.destroy();
      }
    });
    await eventually(() => hammerAnswers.length >= 20, 'the keep-alive clients are served');

    const lock = await holdSendCode();
    const agent = new Agent({ keepAlive: true });
    // Two: concurrent sends share statements (at most two at once), and a send waiting for a statement slot
    // inside the process is invisible to pg_stat_activity; two sends are two statements, both seen blocked.
    const inFlight = Array.from({ length: 2 }, () =>
      call(port, agent, 'POST', SEND_CODE, { phone_number: nextPhone() }),
    );
    await waitForBlocked(2);

    server.child.kill('SIGTERM');
    await waitForOutput(server, 'SIGTERM: shutting down, ');
    // No new connections, while the requests in flight are still being waited for.
    expect(await accepts(port)).toBe(false);
    // Every keep-alive client is let go: its connection closed after its last answer, a new one is refused.
    await within(Promise.all(hammers), 10_000, undefined);
    stop = true;
    expect(hammerErrors).toHaveLength(4);
    expect(hammerErrors.every((code) => ['ECONNREFUSED', 'ECONNRESET'].includes(code))).toBe(true);
    expect(server.child.exitCode).toBeNull();

    await lock.release();
    const answers = await Promise.all(inFlight);
    agent.destroy();
    // The pool was still open for them: real answers, not 500 "Connection terminated".
    expect(answers.map((answer) => [answer.status, answer.connection])).toEqual(
      Array.from({ length: 2 }, () => [200, 'close']),
    );
    expect(hammerAnswers.filter((answer) => answer.status !== 200)).toEqual([]);

    expect(await exitWithin(server, 4000 + 5000)).toBe(0);
    expect(server.output()).not.toMatch(/Connection terminated|"level":50/);
  });

  it('exits with code 1 at SHUTDOWN_TIMEOUT_MS when requests are still running, closing their connections', async () => {
    const env = await serviceEnv(1500);
    const server = startServer(env);
    await waitUntilReady(server);
    const lock = await holdSendCode();
    const agent = new Agent({ keepAlive: true });
    const inFlight = Array.from({ length: 2 }, () =>
      call(Number(env.PORT), agent, 'POST', SEND_CODE, { phone_number: nextPhone() }).then(
        (answer) => `answered ${answer.status}`,
        (error: NodeJS.ErrnoException) => error.code ?? String(error),
      ),
    );
    await waitForBlocked(2);

    server.child.kill('SIGTERM');
    expect(await exitWithin(server, 1500 + 5000)).toBe(1);
    expect(await Promise.all(inFlight)).toEqual(['ECONNRESET', 'ECONNRESET']);
    expect(server.output()).toContain('requests still running at the shutdown deadline');
    agent.destroy();
    await lock.release();
  });

  it('stops within 30 s with one line naming the unreachable database, without a stack or the password', async () => {
    const closedPort = await freePort();
    const password = 'pw-never-printed-8f3a';
    const server = startServer({
      ...(await serviceEnv(10_000)),
      DATABASE_URL: `postgres://sms:${password}@127.0.0.1:${closedPort}/sms_auth`,
    });
    expect(await exitWithin(server, 30_000)).toBe(1);
    const output = server.output().trim();
    expect(output.split('\n')).toHaveLength(1);
    expect(output).toContain(`127.0.0.1:${closedPort}`);
    expect(output).toContain('DATABASE_URL');
    expect(output).toContain('ECONNREFUSED');
    expect(output).not.toMatch(/^\s+at /m);
    expect(output).not.toContain(password);
  });
});
