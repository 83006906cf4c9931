import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { eventually } from './eventually';
import { migrate } from './migrate';
import { startPgBouncer } from './pgbouncer';
import { chownToPostgres } from './postgres-user';
import { freePort } from './server-process';
import { testPooler } from './test-pooler';

const run = promisify(execFile);
const PG_BIN = '/usr/lib/postgresql/15/bin';

/**
 * A Postgres cluster of the test's own, on a free port, that the test may stop, restart and kill
 * (outage tests never touch the shared server other tests use). Runs as the `postgres` user when root.
 * Behind the pooler (TEST_POOLER=pgbouncer) it gets a PgBouncer of its own in front, which stays up while the
 * cluster is stopped, as a real pooler does.
 */
export interface PrivatePostgres {
  port: number;
  /** Admin URL of the `postgres` database. */
  adminUrl: string;
  /** URL of the migrated `sms_auth` database. */
  url: string;
  /** What the app under test gets: `url`, or the same database through the cluster's own PgBouncer. */
  appUrl: string;
  /** With a PgBouncer in front: how long it holds a query while the cluster is down before failing it. */
  poolerQueryWaitSeconds?: number;
  stop(mode?: 'fast' | 'immediate'): Promise<void>;
  /** Resolves once the cluster answers at `appUrl` (through the PgBouncer too, when there is one). */
  start(): Promise<void>;
  /** Stops the cluster (if running) and deletes its files. */
  destroy(): Promise<void>;
}

/** In front of a private cluster: an outage then fails requests within seconds instead of holding them. */
const PRIVATE_POOLER_QUERY_WAIT_SECONDS = 5;

/** Whether `sql` runs on `url` now (a fresh connection, given up after 2 s). */
export async function canQuery(url: string, sql = 'SELECT 1'): Promise<boolean> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query(sql);
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

function asPostgresUser(command: string, args: string[]): Promise<{ stdout: string; stderr: string }> {
  if (process.getuid?.() === 0) return run('/usr/sbin/runuser', ['-u', 'postgres', '--', command, ...args]);
  return run(command, args);
}

export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const dir = mkdtempSync(join(tmpdir(), 'sms-auth-pg-'));
  chmodSync(dir, 0o700);
  if (process.getuid?.() === 0) chownToPostgres(dir);
  const port = await freePort();
  await asPostgresUser(`${PG_BIN}/initdb`, ['-D', dir, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8']);
  const options = `-p ${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories= -c fsync=off`;
  const startCluster = async () => {
    await asPostgresUser(`${PG_BIN}/pg_ctl`, ['-D', dir, '-o', options, '-l', join(dir, 'log'), '-w', 'start']);
  };
  const stop = async (mode: 'fast' | 'immediate' = 'fast') => {
    await asPostgresUser(`${PG_BIN}/pg_ctl`, ['-D', dir, '-m', mode, '-w', 'stop']);
  };
  await startCluster();
  const adminUrl = `postgres://postgres@127.0.0.1:${port}/postgres`;
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query('CREATE DATABASE sms_auth');
  await admin.end();
  const url = `postgres://postgres@127.0.0.1:${port}/sms_auth`;
  await migrate(url);
  const pooler =
    testPooler() === 'pgbouncer'
      ? await startPgBouncer({
          postgresHost: '127.0.0.1',
          postgresPort: port,
          queryWaitTimeoutSeconds: PRIVATE_POOLER_QUERY_WAIT_SECONDS,
        })
      : undefined;
  const appUrl = pooler ? pooler.urlFor(url) : url;
  return {
    port,
    adminUrl,
    url,
    appUrl,
    ...(pooler && { poolerQueryWaitSeconds: PRIVATE_POOLER_QUERY_WAIT_SECONDS }),
    stop,
    start: async () => {
      await startCluster();
      // PgBouncer refuses new clients for server_login_retry after a failed server login ("server login has been
      // failing"), so a cluster just started is not yet reachable through it.
      if (pooler) await eventually(() => canQuery(appUrl), `${appUrl} answers`, { attempts: 100, intervalMs: 100 });
    },
    destroy: async () => {
      await pooler?.stop();
      await stop('immediate').catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A Redis of the test's own on a free port, without persistence, that the test may stop and start again. */
export interface PrivateRedis {
  port: number;
  url: string;
  stop(): Promise<void>;
  start(): Promise<void>;
}

export async function startPrivateRedis(): Promise<PrivateRedis> {
  const port = await freePort();
  let child: ChildProcess | undefined;
  const start = async () => {
    child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
      stdio: 'ignore',
    });
    for (let attempt = 0; attempt < 100; attempt++) {
      const ready = await run('redis-cli', ['-p', String(port), 'ping']).then(
        ({ stdout }) => stdout.trim() === 'PONG',
        () => false,
      );
      if (ready) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`redis-server did not start on port ${port}`);
  };
  const stop = async () => {
    const running = child;
    child = undefined;
    if (!running || running.exitCode !== null) return;
    const exited = new Promise((resolve) => running.once('exit', resolve));
    running.kill('SIGKILL');
    await exited;
  };
  await start();
  return { port, url: `redis://127.0.0.1:${port}`, stop, start };
}
