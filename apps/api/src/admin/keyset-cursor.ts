import { DomainError, ErrorCode } from '@app/common';

/**
 * Opaque keyset cursors: the sort key of the last row of a page, base64url-encoded. Timestamps travel
 * as Postgres text with microseconds, which a JS Date would round to milliseconds (and skip rows).
 */
export function encodeCursor(parts: string[]): string {
  return Buffer.from(JSON.stringify(parts)).toString('base64url');
}

export function decodeCursor(cursor: string, length: number, isValid: (parts: string[]) => boolean): string[] {
  let parts: unknown;
  try {
    parts = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    parts = undefined;
  }
  if (
    !Array.isArray(parts) ||
    parts.length !== length ||
    !parts.every((part) => typeof part === 'string') ||
    !isValid(parts)
  ) {
    throw new DomainError(ErrorCode.ValidationFailed, 'cursor is not a cursor this API returned', {
      fields: [{ field: 'cursor', messages: ['cursor is invalid'] }],
    });
  }
  return parts;
}

export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const TIMESTAMP_PATTERN = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$/;
const MAX_BIGINT = 9223372036854775807n;

/** A UTC timestamp Postgres will accept: the right shape and a real instant (no Feb 30, no hour 25). */
export function isCursorTimestamp(value: string): boolean {
  if (!TIMESTAMP_PATTERN.test(value)) return false;
  const parsed = new Date(value);
  return (
    !Number.isNaN(parsed.getTime()) &&
    parsed.getUTCFullYear() >= 1 &&
    parsed.toISOString().slice(0, 19) === value.slice(0, 19)
  );
}

/** A positive id that fits Postgres' bigint. */
export function isCursorBigint(value: string): boolean {
  return /^\d{1,19}$/.test(value) && BigInt(value) <= MAX_BIGINT;
}
