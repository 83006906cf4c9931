import { Logger } from '@nestjs/common';

/** How long opening a connection may take (the pool's `connectionTimeoutMillis`, and the boot check). */
export const DATABASE_CONNECT_TIMEOUT_MS = 5000;
/** `Retry-After` of a 503 answered while the database is unavailable. */
export const DATABASE_RETRY_AFTER_SECONDS = 5;

/** Socket-level failures (Node) and SQLSTATEs that mean "the server is gone", not "the query is wrong". */
const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now (starting up, shutting down, in recovery)
  '53300', // too_many_connections
]);
/** Class 08: connection exceptions. */
const CONNECTION_EXCEPTION_CLASS = /^08[0-9A-Z]{3}$/;
/** pg and pg-pool raise these without a code. */
const CONNECTION_MESSAGES = [
  /Connection terminated/i,
  /timeout exceeded when trying to connect/i,
  /Client has encountered a connection error/i,
];

interface ErrorLike {
  name?: unknown;
  code?: unknown;
  message?: unknown;
  driverError?: unknown;
  cause?: unknown;
  errors?: unknown;
  isAxiosError?: unknown;
}

/** The error and what it wraps: TypeORM's `driverError`, `cause`, an AggregateError's `errors` (IPv4 and IPv6). */
function* chain(error: unknown, depth = 0): Generator<ErrorLike> {
  if (depth > 4 || typeof error !== 'object' || error === null) return;
  const candidate = error as ErrorLike;
  yield candidate;
  yield* chain(candidate.driverError, depth + 1);
  yield* chain(candidate.cause, depth + 1);
  if (Array.isArray(candidate.errors)) for (const inner of candidate.errors) yield* chain(inner, depth + 1);
}

/**
 * TypeORM's answer to a query on a connection the server ended mid-transaction: the query runner let the
 * broken client go, and what the transaction still had to run fails with these.
 */
const RELEASED_CONNECTION_ERRORS = new Set([
  'QueryRunnerAlreadyReleasedError',
  'QueryRunnerProviderAlreadyReleasedError',
]);

function isConnectionFailure(error: ErrorLike): boolean {
  if (typeof error.name === 'string' && RELEASED_CONNECTION_ERRORS.has(error.name)) return true;
  if (
    typeof error.code === 'string' &&
    (CONNECTION_CODES.has(error.code) || CONNECTION_EXCEPTION_CLASS.test(error.code))
  )
    return true;
  return (
    typeof error.message === 'string' && CONNECTION_MESSAGES.some((pattern) => pattern.test(error.message as string))
  );
}

/**
 * True for errors meaning the database cannot be reached right now (down, restarting, unreachable, no connection
 * left), as opposed to a failing statement. Such errors are answered with 503 SERVICE_UNAVAILABLE.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  // An SMS vendor's HTTP failure carries the same socket codes; it is not the database.
  if ((error as ErrorLike | null)?.isAxiosError === true) return false;
  for (const candidate of chain(error)) if (isConnectionFailure(candidate)) return true;
  return false;
}

/** A short reason for a log line: the first message found, with its code (`connect ECONNREFUSED …`). */
export function describeDatabaseFailure(error: unknown): string {
  let code: string | undefined;
  for (const candidate of chain(error)) {
    code ??= typeof candidate.code === 'string' ? candidate.code : undefined;
    if (typeof candidate.message === 'string' && candidate.message) {
      const message = candidate.message.split('\n')[0];
      return code && !message.includes(code) ? `${message} (${code})` : message;
    }
  }
  return code ?? String(error);
}

/** Anything that can run a query: the DataSource. */
export interface DatabaseProbe {
  query(sql: string): Promise<unknown>;
}

/**
 * Whether the database is reachable, as seen by failing requests: logs one warning when an outage starts
 * ("database unavailable: <reason>") and one line when a probe query succeeds again, nothing in between.
 */
export class DatabaseAvailability {
  private readonly logger = new Logger('Database');
  private unavailableSince: number | null = null;
  private probeTimer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly database: DatabaseProbe,
    private readonly probeIntervalMs = 1000,
  ) {}

  get available(): boolean {
    return this.unavailableSince === null;
  }

  /** Records `error` when it is a connection failure; answers whether it was one. */
  reportFailure(error: unknown): boolean {
    if (!isDatabaseUnavailable(error)) return false;
    if (this.unavailableSince === null) {
      this.unavailableSince = Date.now();
      this.logger.warn(`database unavailable: ${describeDatabaseFailure(error)}`);
      this.scheduleProbe();
    }
    return true;
  }

  /** The probe query succeeded: ends the outage. */
  private reportSuccess(): void {
    if (this.unavailableSince === null) return;
    const seconds = Math.round((Date.now() - this.unavailableSince) / 1000);
    this.unavailableSince = null;
    clearTimeout(this.probeTimer);
    this.logger.log(`database available again (unavailable for ${seconds} s)`);
  }

  /** Stops probing (the application is shutting down). */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.probeTimer);
  }

  private scheduleProbe(): void {
    if (this.stopped) return;
    clearTimeout(this.probeTimer);
    this.probeTimer = setTimeout(() => void this.probe(), this.probeIntervalMs);
    this.probeTimer.unref();
  }

  private async probe(): Promise<void> {
    try {
      await this.database.query('SELECT 1');
      this.reportSuccess();
    } catch {
      // Still down (or failing otherwise): stay silent and try again.
      if (this.unavailableSince !== null) this.scheduleProbe();
    }
  }
}
