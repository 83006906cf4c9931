import { statsBounds } from './stats-bounds';

const at = (iso: string) => new Date(iso);
const view = (bounds: ReturnType<typeof statsBounds>) => ({
  h0: bounds.h0.toISOString(),
  h1: bounds.h1.toISOString(),
  d0: bounds.d0.toISOString(),
  d1: bounds.d1.toISOString(),
  settled: bounds.settled.toISOString(),
  edges: bounds.edges.map((edge) => `${edge.sign > 0 ? '+' : '-'} ${edge.from.toISOString()} ${edge.to.toISOString()}`),
});

describe('statsBounds', () => {
  const now = at('2026-12-03T10:25:00.000Z');

  it('a range ending now: its current hour from the rollups, less the codes after now (none yet)', () => {
    expect(view(statsBounds(at('2026-11-26T09:40:00.000Z'), now, now))).toEqual({
      h0: '2026-11-26T10:00:00.000Z',
      h1: '2026-12-03T11:00:00.000Z',
      d0: '2026-11-27T00:00:00.000Z',
      d1: '2026-12-03T00:00:00.000Z',
      settled: '2026-12-03T10:00:00.000Z',
      edges: [
        '+ 2026-11-26T09:40:00.000Z 2026-11-26T10:00:00.000Z',
        '- 2026-12-03T10:25:00.000Z 2026-12-03T11:00:00.000Z',
      ],
    });
  });

  it('a cut hour is read from the shorter side: its codes, or its rollup less the codes outside the range', () => {
    const bounds = view(statsBounds(at('2026-11-30T00:05:00.000Z'), at('2026-12-02T05:20:00.000Z'), now));
    expect(bounds).toMatchObject({
      h0: '2026-11-30T00:00:00.000Z',
      h1: '2026-12-02T05:00:00.000Z',
      d0: '2026-11-30T00:00:00.000Z',
      d1: '2026-12-02T00:00:00.000Z',
      edges: [
        '- 2026-11-30T00:00:00.000Z 2026-11-30T00:05:00.000Z',
        '+ 2026-12-02T05:00:00.000Z 2026-12-02T05:20:00.000Z',
      ],
    });
  });

  it('hour-aligned ends read no code', () => {
    const bounds = statsBounds(at('2026-11-30T00:00:00.000Z'), at('2026-12-02T05:00:00.000Z'), now);
    expect(bounds.edges).toEqual([]);
    expect(bounds.h0).toEqual(at('2026-11-30T00:00:00.000Z'));
    expect(bounds.h1).toEqual(at('2026-12-02T05:00:00.000Z'));
  });

  it('inside one hour: its codes when the range is the shorter part, else the hour less both sides', () => {
    expect(view(statsBounds(at('2026-12-01T08:10:00.000Z'), at('2026-12-01T08:30:00.000Z'), now))).toMatchObject({
      h0: '2026-12-01T08:10:00.000Z',
      h1: '2026-12-01T08:10:00.000Z',
      edges: ['+ 2026-12-01T08:10:00.000Z 2026-12-01T08:30:00.000Z'],
    });
    expect(view(statsBounds(at('2026-12-01T08:05:00.000Z'), at('2026-12-01T08:50:00.000Z'), now))).toMatchObject({
      h0: '2026-12-01T08:00:00.000Z',
      h1: '2026-12-01T09:00:00.000Z',
      edges: [
        '- 2026-12-01T08:00:00.000Z 2026-12-01T08:05:00.000Z',
        '- 2026-12-01T08:50:00.000Z 2026-12-01T09:00:00.000Z',
      ],
    });
  });

  it('the hour of the last ten minutes is not settled: its days are read by the hour', () => {
    const justAfterMidnight = at('2026-12-03T00:05:00.000Z');
    const bounds = statsBounds(at('2026-12-01T00:00:00.000Z'), justAfterMidnight, justAfterMidnight);
    expect(bounds.settled.toISOString()).toBe('2026-12-02T23:00:00.000Z');
    expect(bounds.d1.toISOString()).toBe('2026-12-02T00:00:00.000Z');
    expect(bounds.h1.toISOString()).toBe('2026-12-03T01:00:00.000Z');
  });
});
