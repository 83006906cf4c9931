const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

/** A code's hour is settled once every code of it has expired: OTP_TTL_SECONDS is at most this. */
export const LONGEST_TTL_SECONDS = 600;

/**
 * How /admin/stats splits [from, to): whole days [d0, d1) from the daily rollups, the other whole hours of
 * [h0, h1) from the hourly ones, and [from, h0) and [h1, to) from the codes themselves. An hour not over yet
 * counts as whole when `to` is now or later (its rollups are exact up to now). Days are read from the daily
 * rows only up to the last settled hour: the pending codes of a later hour are not all expired yet.
 * Hours and days are UTC (the epoch is aligned to both).
 */
export interface StatsBounds {
  h0: Date;
  h1: Date;
  d0: Date;
  d1: Date;
  /** The start of the last hour whose codes have all expired: its pending ones count as expired. */
  settled: Date;
}

const floorTo = (ms: number, unit: number) => Math.floor(ms / unit) * unit;
const ceilTo = (ms: number, unit: number) => Math.ceil(ms / unit) * unit;

export function statsBounds(from: Date, to: Date, now: Date): StatsBounds {
  const start = ceilTo(from.getTime(), HOUR_MS);
  const end = to.getTime() >= now.getTime() ? ceilTo(to.getTime(), HOUR_MS) : floorTo(to.getTime(), HOUR_MS);
  const [h0, h1] = end > start ? [start, end] : [from.getTime(), from.getTime()];
  const settled = floorTo(now.getTime() - LONGEST_TTL_SECONDS * 1000, HOUR_MS);
  return {
    h0: new Date(h0),
    h1: new Date(h1),
    d0: new Date(ceilTo(h0, DAY_MS)),
    d1: new Date(floorTo(Math.min(h1, settled), DAY_MS)),
    settled: new Date(settled),
  };
}
