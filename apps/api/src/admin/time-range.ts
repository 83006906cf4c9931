import { DomainError, ErrorCode } from '@app/common';

const DAY_MS = 86_400_000;

function invalid(message: string, field: 'from' | 'to' = 'from'): DomainError {
  return new DomainError(ErrorCode.ValidationFailed, message, { fields: [{ field, messages: [message] }] });
}

/** A date the query DTOs accepted; one `new Date()` cannot read never reaches SQL as NaN. */
function instant(value: string, field: 'from' | 'to'): Date {
  const date = new Date(value);
  if (Number.isNaN(date.getTime()))
    throw invalid(`${field} must be a date and time such as 2026-01-01T00:00:00Z`, field);
  return date;
}

/** `from`/`to` of an admin query: defaults to the last `defaultDays` days; from must precede to. */
export function timeRange(
  from: string | undefined,
  to: string | undefined,
  defaultDays: number,
  maxDays?: number,
): { from: Date; to: Date } {
  const end = to ? instant(to, 'to') : new Date();
  const start = from ? instant(from, 'from') : new Date(end.getTime() - defaultDays * DAY_MS);
  if (Number.isNaN(start.getTime())) throw invalid('from is out of range');
  if (start >= end) throw invalid('from must be earlier than to');
  if (maxDays && end.getTime() - start.getTime() > maxDays * DAY_MS)
    throw invalid(`the range may span at most ${maxDays} days`);
  return { from: start, to: end };
}
