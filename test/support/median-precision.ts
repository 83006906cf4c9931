import { VERIFY_SECONDS_EDGES } from '../../migrations/1795365000000-StatsRollups';

/** The width of the seconds-to-verify bucket that holds `seconds` (the open last bucket: its lower edge). */
export function bucketWidthAt(seconds: number): number {
  const edges = VERIFY_SECONDS_EDGES;
  for (let bucket = edges.length - 1; bucket >= 0; bucket--)
    if (seconds >= edges[bucket]) return (edges[bucket + 1] ?? edges[bucket]) - edges[bucket];
  return edges[1] - edges[0];
}

/**
 * Matches a median the statistics report from their histogram, given the exact values it is the median of:
 * within the widths of the buckets holding the middle ones (the documented precision).
 */
export function medianOfValues(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const low = sorted[Math.floor((sorted.length - 1) / 2)];
  const high = sorted[Math.ceil((sorted.length - 1) / 2)];
  return near((low + high) / 2, (bucketWidthAt(low) + bucketWidthAt(high)) / 2);
}

/** Matches a median reported from the histogram when only the exact median is known: within a quarter of it. */
export function medianNear(seconds: number | null): number | null {
  return seconds === null ? null : near(seconds, Math.max(1, seconds / 4));
}

function near(seconds: number, tolerance: number): number {
  const matcher = {
    asymmetricMatch: (actual: unknown) => typeof actual === 'number' && Math.abs(actual - seconds) <= tolerance,
    toString: () => `a median within ${tolerance} s of ${seconds}`,
    toAsymmetricMatcher: () => `a median within ${tolerance} s of ${seconds}`,
  };
  return matcher as unknown as number;
}
