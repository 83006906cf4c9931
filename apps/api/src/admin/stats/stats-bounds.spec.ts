import { statsBounds } from './stats-bounds';

const at = (iso: string) => new Date(iso);
const iso = (bounds: ReturnType<typeof statsBounds>) =>
  Object.fromEntries(Object.entries(bounds).map(([name, date]) => [name, date.toISOString()]));

describe('statsBounds', () => {
  const now = at('2026-12-03T10:25:00.000Z');

  it('a range ending now: whole hours up to the current one, whole days up to the last settled hour', () => {
    expect(iso(statsBounds(at('2026-11-26T09:40:00.000Z'), now, now))).toEqual({
      h0: '2026-11-26T10:00:00.000Z',
      h1: '2026-12-03T11:00:00.000Z',
      d0: '2026-11-27T00:00:00.000Z',
      d1: '2026-12-03T00:00:00.000Z',
      settled: '2026-12-03T10:00:00.000Z',
    });
  });

  it('a range ending in the past: the hour it cuts is read from the codes', () => {
    const bounds = statsBounds(at('2026-11-30T00:00:00.000Z'), at('2026-12-02T05:30:00.000Z'), now);
    expect(iso(bounds)).toMatchObject({
      h0: '2026-11-30T00:00:00.000Z',
      h1: '2026-12-02T05:00:00.000Z',
      d0: '2026-11-30T00:00:00.000Z',
      d1: '2026-12-02T00:00:00.000Z',
    });
  });

  it('a range inside one hour: no whole hour, every code from the table', () => {
    const from = at('2026-12-01T08:10:00.000Z');
    const bounds = statsBounds(from, at('2026-12-01T08:40:00.000Z'), now);
    expect(bounds.h0).toEqual(from);
    expect(bounds.h1).toEqual(from);
    expect(bounds.d1.getTime()).toBeLessThanOrEqual(bounds.d0.getTime());
  });

  it('the hour of the last ten minutes is not settled: its days are read by the hour', () => {
    const justAfterMidnight = at('2026-12-03T00:05:00.000Z');
    const bounds = statsBounds(at('2026-12-01T00:00:00.000Z'), justAfterMidnight, justAfterMidnight);
    expect(bounds.settled.toISOString()).toBe('2026-12-02T23:00:00.000Z');
    expect(bounds.d1.toISOString()).toBe('2026-12-02T00:00:00.000Z');
    expect(bounds.h1.toISOString()).toBe('2026-12-03T01:00:00.000Z');
  });
});
