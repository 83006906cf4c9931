const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

/** A code's hour is settled once every code of it has expired: OTP_TTL_SECONDS is at most this. */
export const LONGEST_TTL_SECONDS = 600;

/** Codes created in [from, to), whose figures are added (+1) to the rollups' or taken away (-1). */
export interface RawEdge {
  from: Date;
  to: Date;
  sign: 1 | -1;
}

/**
 * How /admin/stats reads [from, to): the whole hours [h0, h1) from the rollups (whole days [d0, d1) from the daily
 * rows, the other hours from the hourly ones), corrected by the codes of at most two raw edges. An hour that the
 * range cuts is either read from its codes (the part inside the range, added) or taken whole from its rollup less
 * the codes of the part outside (taken away), whichever spans less time up to now: codes exist only up to now, so
 * a range ending now takes its current hour from the rollups, less nothing. Days are read from the daily rows
 * only up to the last settled hour: the pending codes of a later hour are not all expired yet. Hours and days
 * are UTC (the epoch is aligned to both).
 */
export interface StatsBounds {
  h0: Date;
  h1: Date;
  d0: Date;
  d1: Date;
  /** The start of the last hour whose codes have all expired: its pending ones count as expired. */
  settled: Date;
  edges: RawEdge[];
}

const floorTo = (ms: number, unit: number) => Math.floor(ms / unit) * unit;
const ceilTo = (ms: number, unit: number) => Math.ceil(ms / unit) * unit;

export function statsBounds(fromDate: Date, toDate: Date, nowDate: Date): StatsBounds {
  const [from, to, now] = [fromDate.getTime(), toDate.getTime(), nowDate.getTime()];
  /** How long [start, end) is up to now: what its codes cost to read, roughly. */
  const live = (start: number, end: number) => Math.max(0, Math.min(end, now) - start);
  const edges: [number, number, 1 | -1][] = [];
  let h0: number;
  let h1: number;
  const hourOfFrom = floorTo(from, HOUR_MS);
  if (to <= hourOfFrom + HOUR_MS && from !== hourOfFrom) {
    // Inside one hour that does not start at `from`: its codes, or the hour less the codes around the range.
    const hourEnd = hourOfFrom + HOUR_MS;
    if (live(from, to) <= live(hourOfFrom, from) + live(to, hourEnd)) {
      [h0, h1] = [from, from];
      edges.push([from, to, 1]);
    } else {
      [h0, h1] = [hourOfFrom, hourEnd];
      edges.push([hourOfFrom, from, -1], [to, hourEnd, -1]);
    }
  } else {
    h0 = from;
    if (from !== hourOfFrom) {
      const next = hourOfFrom + HOUR_MS;
      if (live(from, next) <= live(hourOfFrom, from)) {
        h0 = next;
        edges.push([from, next, 1]);
      } else {
        h0 = hourOfFrom;
        edges.push([hourOfFrom, from, -1]);
      }
    }
    const hourOfTo = floorTo(to, HOUR_MS);
    h1 = to;
    if (to !== hourOfTo) {
      const next = hourOfTo + HOUR_MS;
      if (live(hourOfTo, to) <= live(to, next)) {
        h1 = hourOfTo;
        edges.push([hourOfTo, to, 1]);
      } else {
        h1 = next;
        edges.push([to, next, -1]);
      }
    }
  }
  const settled = floorTo(now - LONGEST_TTL_SECONDS * 1000, HOUR_MS);
  return {
    h0: new Date(h0),
    h1: new Date(h1),
    d0: new Date(ceilTo(h0, DAY_MS)),
    d1: new Date(floorTo(Math.min(h1, settled), DAY_MS)),
    settled: new Date(settled),
    edges: edges
      .filter(([start, end]) => end > start)
      .map(([start, end, sign]) => ({ from: new Date(start), to: new Date(end), sign })),
  };
}
