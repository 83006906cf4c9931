import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { withAdminClient } from './admin-sql';
import { chownToPostgres } from './postgres-user';
import { freePort } from './server-process';

/**
 * A PgBouncer (Debian's package, 1.18) of the tests' own on a free port, in transaction pooling mode, in front
 * of one Postgres: every database of that server is reachable through it by name (a wildcard entry), so the
 * databases each test file clones work without a restart. Runs as the `postgres` user when root (PgBouncer
 * refuses to run as root).
 */
export interface PgBouncer {
  port: number;
  /** `directUrl` (a URL of the Postgres behind it) with host and port of this PgBouncer. */
  urlFor(directUrl: string): string;
  /** Runs a command on the admin console (`SHOW POOLS`, `RECONNECT db`, …) and returns its rows. */
  console(command: string): Promise<Record<string, unknown>[]>;
  stop(): Promise<void>;
}

export interface PgBouncerOptions {
  /** The Postgres it pools, e.g. 127.0.0.1 and 5432. */
  postgresHost: string;
  postgresPort: number;
  /**
   * Seconds a query may wait for a server connection before PgBouncer fails it (its default, 120, would turn
   * a Postgres outage into requests hanging for two minutes).
   */
  queryWaitTimeoutSeconds?: number;
  /** Server connections per database (and user); 20 by default. */
  poolSize?: number;
}

const ADMIN_USER = 'postgres';
const SEARCH_PATH = ['/usr/sbin', '/usr/local/sbin', '/usr/bin'];

/** The pgbouncer executable, or a failure saying how to install it. */
function pgbouncerExecutable(): string {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), ...SEARCH_PATH].filter(Boolean);
  for (const dir of dirs) {
    const candidate = join(dir, 'pgbouncer');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  throw new Error(
    'pgbouncer is not installed: the tests behind a connection pooler need PgBouncer (apt-get install pgbouncer; .ci/run installs it)',
  );
}

function configuration(dir: string, port: number, options: PgBouncerOptions): string {
  return [
    '[databases]',
    `* = host=${options.postgresHost} port=${options.postgresPort}`,
    '',
    '[pgbouncer]',
    'listen_addr = 127.0.0.1',
    `listen_port = ${port}`,
    // No Unix socket (PgBouncer's default is /tmp/.s.PGSQL.<port>): everything connects over TCP.
    'unix_socket_dir =',
    'auth_type = trust',
    `auth_file = ${join(dir, 'userlist.txt')}`,
    `admin_users = ${ADMIN_USER}`,
    'pool_mode = transaction',
    `default_pool_size = ${options.poolSize ?? 20}`,
    'max_client_conn = 2000',
    `query_wait_timeout = ${options.queryWaitTimeoutSeconds ?? 30}`,
    // After a failed server login PgBouncer waits this long before it tries again (default 15 s).
    'server_login_retry = 1',
    // node-postgres sends only user, database and application_name, which PgBouncer handles; anything else the
    // service might start sending (statement_timeout, options) is refused, and the pass behind it fails. This
    // entry is for other clients (JDBC sends extra_float_digits), as a deployment would list them.
    'ignore_startup_parameters = extra_float_digits',
    'log_connections = 0',
    'log_disconnections = 0',
    `logfile = ${join(dir, 'pgbouncer.log')}`,
    `pidfile = ${join(dir, 'pgbouncer.pid')}`,
    '',
  ].join('\n');
}

/** `directUrl` with the host and port of the PgBouncer on 127.0.0.1:`port` (same user, database, options). */
export function throughPgBouncer(directUrl: string, port: number): string {
  const url = new URL(directUrl);
  url.hostname = '127.0.0.1';
  url.port = String(port);
  return url.toString();
}

/** Runs `command` on the admin console of the PgBouncer on 127.0.0.1:`port` and returns its rows. */
export function pgbouncerConsole(port: number, command: string): Promise<Record<string, unknown>[]> {
  // The console speaks the simple query protocol only: no parameters.
  return withAdminClient(`postgres://${ADMIN_USER}@127.0.0.1:${port}/pgbouncer`, (client) =>
    client.query<Record<string, unknown>>(command),
  ).then((result) => result.rows);
}

export async function startPgBouncer(options: PgBouncerOptions): Promise<PgBouncer> {
  const executable = pgbouncerExecutable();
  const dir = mkdtempSync(join(tmpdir(), 'sms-auth-pgbouncer-'));
  const port = await freePort();
  writeFileSync(join(dir, 'userlist.txt'), `"${ADMIN_USER}" ""\n`);
  writeFileSync(join(dir, 'pgbouncer.ini'), configuration(dir, port, options));
  const asRoot = process.getuid?.() === 0;
  if (asRoot) chownToPostgres(dir, join(dir, 'userlist.txt'), join(dir, 'pgbouncer.ini'));
  const log = () => {
    const file = join(dir, 'pgbouncer.log');
    return existsSync(file) ? readFileSync(file, 'utf8') : '';
  };
  const child: ChildProcess = spawn(executable, [...(asRoot ? ['-u', 'postgres'] : []), join(dir, 'pgbouncer.ini')], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk) => (stderr += chunk));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let running = true;
  // A test process that ends without stopping it (a crash, a forced exit) must not leave it running.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  void exited.then(() => {
    running = false;
    process.removeListener('exit', killOnExit);
  });

  const stop = async () => {
    if (running) {
      // SIGTERM: immediate shutdown (SIGINT would wait for clients to leave).
      child.kill('SIGTERM');
      const killed = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(killed);
    }
    rmSync(dir, { recursive: true, force: true });
  };

  for (let attempt = 0; ; attempt++) {
    if (!running) {
      const output = `${stderr}${log()}`;
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`pgbouncer exited at start:\n${output}`);
    }
    try {
      await pgbouncerConsole(port, 'SHOW VERSION');
      break;
    } catch (error) {
      if (attempt >= 100) {
        const output = `${stderr}${log()}`;
        await stop();
        throw new Error(`pgbouncer did not accept connections on ${port}: ${String(error)}\n${output}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  return {
    port,
    urlFor: (directUrl) => throughPgBouncer(directUrl, port),
    console: (command) => pgbouncerConsole(port, command),
    stop,
  };
}
