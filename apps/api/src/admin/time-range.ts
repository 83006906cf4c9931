import { DomainError, ErrorCode } from '@app/common';

const DAY_MS = 86_400_000;

function invalid(message: string): DomainError {
  return new DomainError(ErrorCode.ValidationFailed, message, { fields: [{ field: 'from', messages: [message] }] });
}

/**
 * `from`/`to` of an admin query (the query DTOs' @IsInstant made sure `new Date()` reads them): defaults to
 * the last `defaultDays` days; from must precede to.
 */
export function timeRange(
  from: string | undefined,
  to: string | undefined,
  defaultDays: number,
  maxDays?: number,
): { from: Date; to: Date } {
  const end = to ? new Date(to) : new Date();
  const start = from ? new Date(from) : new Date(end.getTime() - defaultDays * DAY_MS);
  if (Number.isNaN(start.getTime())) throw invalid('from is out of range');
  if (start >= end) throw invalid('from must be earlier than to');
  if (maxDays && end.getTime() - start.getTime() > maxDays * DAY_MS)
    throw invalid(`the range may span at most ${maxDays} days`);
  return { from: start, to: end };
}
