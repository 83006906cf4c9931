import type { DataSource } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';

interface EventSource {
  on(event: string, listener: (...args: unknown[]) => void): unknown;
}

const ignore = () => undefined;

/**
 * pg emits `error` on a client when the server ends its connection between two queries (pg_terminate_backend,
 * a restart). The pool listens only while the client is idle, TypeORM's query runner only while it holds the
 * client; an error arriving in between finds no listener, and Node ends the process on an unhandled `error`.
 * So every client gets a listener for its whole life. Nothing is hidden by it: the next query on that client
 * fails (and answers 503), and the pool drops the broken client.
 */
export function keepPoolClientErrorsHandled(dataSource: DataSource): DataSource {
  const pool = (dataSource.driver as PostgresDriver).master as EventSource | undefined;
  if (!pool) return dataSource;
  const guarded = new WeakSet<object>();
  pool.on('acquire', (client) => {
    if (typeof client !== 'object' || client === null || guarded.has(client)) return;
    guarded.add(client);
    (client as EventSource).on('error', ignore);
  });
  return dataSource;
}
