import { ErrorCode } from '@app/common';
import { useTestDatabaseClient } from './support/test-database';

/**
 * SPEC §3's per-phone send policy, as the SQL function sms_auth_send_decision (migration HotPathFunctions) decides
 * it: the cooldown after the n-th send of the hour is cooldown × 2^(n-1), then the daily and hourly caps, whose
 * wait never ends before the cooldown does. These are the cases of the TypeScript decideSend it replaced, with the
 * same inputs and the same answers, plus invariants over a grid of histories.
 */

const NOW = '2026-03-01T12:00:00.000Z';
const NOW_MS = Date.parse(NOW);
const HOUR = 3600;
const DAY = 24 * HOUR;

interface SendHistory {
  sendsLastHour: number;
  sendsLastDay: number;
  /** ISO 8601 instants, passed to Postgres as text and cast to timestamptz. */
  lastSentAt: string | null;
  oldestInHourAt: string | null;
  oldestInDayAt: string | null;
}

interface SendLimits {
  cooldownSeconds: number;
  perHour: number;
  perDay: number;
}

/** One row of sms_auth_send_decision: code NULL means allowed. */
interface Decision {
  code: string | null;
  retry_after: number | null;
  limit_name: string | null;
}

const LIMITS: SendLimits = { cooldownSeconds: 60, perHour: 5, perDay: 10 };
/** Caps far away, so that only the cooldown decides. */
const UNCAPPED: SendLimits = { ...LIMITS, perHour: 1000, perDay: 1000 };
const ALLOWED: Decision = { code: null, retry_after: null, limit_name: null };

const secondsAgo = (seconds: number) => new Date(NOW_MS - seconds * 1000).toISOString();
const minutesAgo = (minutes: number) => secondsAgo(minutes * 60);

function history(overrides: Partial<SendHistory> = {}): SendHistory {
  return {
    sendsLastHour: 0,
    sendsLastDay: 0,
    lastSentAt: null,
    oldestInHourAt: null,
    oldestInDayAt: null,
    ...overrides,
  };
}

/** `count` sends in the last hour, the oldest `oldestMinutesAgo`, the latest `lastSecondsAgo`. */
function sendsInHour(count: number, lastSecondsAgo: number, oldestMinutesAgo = 50): SendHistory {
  return history({
    sendsLastHour: count,
    sendsLastDay: count,
    lastSentAt: secondsAgo(lastSecondsAgo),
    oldestInHourAt: minutesAgo(oldestMinutesAgo),
    oldestInDayAt: minutesAgo(oldestMinutesAgo),
  });
}

describe('sms_auth_send_decision: the per-phone send policy in SQL (SPEC §3)', () => {
  const db = useTestDatabaseClient();

  async function decide(h: SendHistory, limits: SendLimits = LIMITS): Promise<Decision> {
    const { rows } = await db.client.query<Decision>(
      `SELECT code, retry_after, limit_name
         FROM sms_auth_send_decision($1::integer, $2::integer, $3::timestamptz, $4::timestamptz, $5::timestamptz,
                                     $6::timestamptz, $7::integer, $8::integer, $9::integer)`,
      [
        h.sendsLastHour,
        h.sendsLastDay,
        h.lastSentAt,
        h.oldestInHourAt,
        h.oldestInDayAt,
        NOW,
        limits.cooldownSeconds,
        limits.perHour,
        limits.perDay,
      ],
    );
    expect(rows).toHaveLength(1);
    return rows[0];
  }

  describe('cooldown doubling: base × 2^(n-1) after the n-th send of the hour', () => {
    it('is zero before the first send of the hour: no send counted in the hour, no wait', async () => {
      // cooldownAfter(0) = 0: even a last send stamped at this very instant imposes no wait.
      expect(await decide(history({ sendsLastDay: 1, lastSentAt: NOW, oldestInDayAt: NOW }), UNCAPPED)).toEqual(
        ALLOWED,
      );
    });

    it.each([
      [1, 60],
      [2, 120],
      [3, 240],
      [4, 480],
      [5, 960],
    ])(
      'doubles with each send in the hour: after %i send(s), the last just now, the wait is %i s',
      async (sends, wait) => {
        expect(await decide(sendsInHour(sends, 0), UNCAPPED)).toEqual({
          code: ErrorCode.ResendTooSoon,
          retry_after: wait,
          limit_name: 'phone_cooldown',
        });
      },
    );

    it('scales with the configured base: 30 s, 60 s, 120 s after 1, 2, 3 sends', async () => {
      const limits = { ...UNCAPPED, cooldownSeconds: 30 };
      const waits: (number | null)[] = [];
      for (const sends of [1, 2, 3]) waits.push((await decide(sendsInHour(sends, 0), limits)).retry_after);
      expect(waits).toEqual([30, 60, 120]);
    });
  });

  describe('allowed', () => {
    it('allows the first send ever', async () => {
      expect(await decide(history())).toEqual(ALLOWED);
    });

    it('allows a resend once the cooldown has passed exactly', async () => {
      expect(await decide(sendsInHour(1, 60))).toEqual(ALLOWED);
    });

    it('allows a third send once the doubled cooldown (120 s) has passed', async () => {
      expect(await decide(sendsInHour(2, 121))).toEqual(ALLOWED);
    });

    it('ignores the cooldown when the last send is older than the hour', async () => {
      const yesterdayish = history({
        sendsLastHour: 0,
        sendsLastDay: 3,
        lastSentAt: minutesAgo(90),
        oldestInDayAt: minutesAgo(300),
      });
      expect(await decide(yesterdayish)).toEqual(ALLOWED);
    });

    it('allows the last send under both caps', async () => {
      const history4 = history({ ...sendsInHour(4, 900), sendsLastDay: 9, oldestInDayAt: minutesAgo(600) });
      expect(await decide(history4)).toEqual(ALLOWED);
    });
  });

  describe('cooldown', () => {
    it('refuses a resend 30 s after the first send with RESEND_TOO_SOON and 30 s to wait', async () => {
      expect(await decide(sendsInHour(1, 30))).toEqual({
        code: ErrorCode.ResendTooSoon,
        retry_after: 30,
        limit_name: 'phone_cooldown',
      });
    });

    it.each([
      [2, 100, 20], // cooldown 120 s
      [3, 200, 40], // cooldown 240 s
      [4, 400, 80], // cooldown 480 s
    ])('after %i sends, the last %i s ago, asks to wait %i s more', async (sends, lastSecondsAgo, retryAfter) => {
      expect(await decide(sendsInHour(sends, lastSecondsAgo))).toMatchObject({
        code: ErrorCode.ResendTooSoon,
        retry_after: retryAfter,
      });
    });

    it('rounds a partial second up', async () => {
      expect(await decide(sendsInHour(1, 30.5))).toMatchObject({ retry_after: 30 });
      expect(await decide(sendsInHour(1, 59.9))).toMatchObject({ retry_after: 1 });
    });
  });

  describe('hourly cap', () => {
    it('refuses the 6th send in an hour with RATE_LIMITED until the oldest send leaves the hour', async () => {
      // Oldest send 40 min ago: it leaves the window in 20 min. The cooldown (960 s) passed long ago.
      expect(await decide(sendsInHour(5, 1800, 40))).toEqual({
        code: ErrorCode.RateLimited,
        retry_after: 20 * 60,
        limit_name: 'phone_hour',
      });
    });

    it('answers RATE_LIMITED rather than RESEND_TOO_SOON when the cap is reached during a cooldown', async () => {
      expect(await decide(sendsInHour(5, 10, 40))).toMatchObject({
        code: ErrorCode.RateLimited,
        limit_name: 'phone_hour',
      });
    });

    it('asks to wait for the cooldown when it ends after the oldest send leaves the hour', async () => {
      // The oldest send leaves the hour in 60 s, but the cooldown after 5 sends (960 s) has 900 s to go.
      expect(await decide(sendsInHour(5, 60, 59))).toMatchObject({
        code: ErrorCode.RateLimited,
        retry_after: 900,
      });
    });

    it('follows the configured cap', async () => {
      const limits = { ...LIMITS, perHour: 3 };
      expect(await decide(sendsInHour(3, 1800, 45), limits)).toMatchObject({
        code: ErrorCode.RateLimited,
        retry_after: 15 * 60,
      });
      expect(await decide(sendsInHour(2, 1800, 45), limits)).toEqual(ALLOWED);
    });

    it('never asks to wait less than 1 s', async () => {
      expect(await decide(sendsInHour(5, 1800, 60))).toMatchObject({
        code: ErrorCode.RateLimited,
        retry_after: 1,
      });
    });
  });

  describe('daily cap', () => {
    it('refuses the 11th send in 24 h with RATE_LIMITED until the oldest send leaves the day', async () => {
      // Oldest send 20 h ago: it leaves the window in 4 h. Nothing was sent in the last hour.
      const day = history({
        sendsLastHour: 0,
        sendsLastDay: 10,
        lastSentAt: minutesAgo(120),
        oldestInDayAt: minutesAgo(20 * 60),
      });
      expect(await decide(day)).toEqual({
        code: ErrorCode.RateLimited,
        retry_after: 4 * 3600,
        limit_name: 'phone_day',
      });
    });

    it('reports the daily window when both caps are reached', async () => {
      const both = history({ ...sendsInHour(5, 1800, 40), sendsLastDay: 10, oldestInDayAt: minutesAgo(23 * 60) });
      expect(await decide(both)).toMatchObject({
        code: ErrorCode.RateLimited,
        limit_name: 'phone_day',
        retry_after: 3600,
      });
    });
  });

  describe.each([
    ['the default limits (60 s, 5 per hour, 10 per day)', LIMITS],
    ['tighter limits (30 s, 3 per hour, 7 per day)', { cooldownSeconds: 30, perHour: 3, perDay: 7 }],
  ])('over a grid of histories, with %s', (_name, limits: SendLimits) => {
    /** A history in whole seconds before NOW (null: no such send). */
    interface Case {
      hour: number;
      day: number;
      lastAgo: number | null;
      oldestHourAgo: number | null;
      oldestDayAgo: number | null;
    }
    interface Checked extends Case {
      decision: Decision;
      /** Derived here, independently of the SQL: seconds of cooldown left (0: passed), caps reached. */
      cooldownLeft: number;
      dayFull: boolean;
      hourFull: boolean;
    }

    const LAST_IN_HOUR = [
      0, 1, 29, 30, 31, 59, 60, 61, 90, 119, 120, 121, 239, 240, 241, 300, 479, 480, 481, 600, 900, 959, 960, 961, 1200,
      1800, 1919, 1920, 1921, 2400, 3000, 3599, 3600,
    ];
    const OLDEST_IN_HOUR = [1800, 3000, 3599, 3600];
    const LAST_BEFORE_HOUR = [3601, 5400, 12 * HOUR, DAY - 1];
    const OLDEST_IN_DAY = [HOUR, 2 * HOUR, 12 * HOUR, 23 * HOUR, DAY - 1, DAY];
    const atLeast = (values: number[], min: number) => [...new Set([min, ...values.filter((v) => v >= min)])];

    /** Sends 0..12 in the hour and the day (day ≥ hour), the last 0..3600 s ago, the oldest up to 24 h ago. */
    function grid(): Case[] {
      const cases: Case[] = [];
      for (let hour = 0; hour <= 12; hour++) {
        for (let day = hour; day <= 12; day++) {
          if (day === 0) {
            cases.push({ hour, day, lastAgo: null, oldestHourAgo: null, oldestDayAgo: null });
          } else if (hour === 0) {
            for (const lastAgo of LAST_BEFORE_HOUR)
              for (const oldestDayAgo of day === 1 ? [lastAgo] : atLeast(OLDEST_IN_DAY, lastAgo))
                cases.push({ hour, day, lastAgo, oldestHourAgo: null, oldestDayAgo });
          } else {
            for (const lastAgo of LAST_IN_HOUR)
              for (const oldestHourAgo of hour === 1 ? [lastAgo] : atLeast(OLDEST_IN_HOUR, lastAgo))
                for (const oldestDayAgo of day === hour ? [oldestHourAgo] : atLeast(OLDEST_IN_DAY, oldestHourAgo))
                  cases.push({ hour, day, lastAgo, oldestHourAgo, oldestDayAgo });
          }
        }
      }
      return cases;
    }

    const at = (ago: number | null) => (ago === null ? null : secondsAgo(ago));
    const describeCase = (c: Checked) =>
      `hour=${c.hour} day=${c.day} last=${c.lastAgo}s oldestHour=${c.oldestHourAgo}s oldestDay=${c.oldestDayAgo}s ` +
      `→ ${JSON.stringify(c.decision)}`;

    let checked: Checked[];

    beforeAll(async () => {
      const cases = grid();
      const { rows } = await db.client.query<Decision>(
        `SELECT d.code, d.retry_after, d.limit_name
           FROM unnest($1::integer[], $2::integer[], $3::timestamptz[], $4::timestamptz[], $5::timestamptz[])
                WITH ORDINALITY AS g(hour, day, last_sent_at, oldest_in_hour_at, oldest_in_day_at, n)
          CROSS JOIN LATERAL sms_auth_send_decision(g.hour, g.day, g.last_sent_at, g.oldest_in_hour_at,
                g.oldest_in_day_at, $6::timestamptz, $7::integer, $8::integer, $9::integer) AS d
          ORDER BY g.n`,
        [
          cases.map((c) => c.hour),
          cases.map((c) => c.day),
          cases.map((c) => at(c.lastAgo)),
          cases.map((c) => at(c.oldestHourAgo)),
          cases.map((c) => at(c.oldestDayAgo)),
          NOW,
          limits.cooldownSeconds,
          limits.perHour,
          limits.perDay,
        ],
      );
      expect(rows).toHaveLength(cases.length);
      checked = cases.map((c, i) => {
        let cooldown = 0;
        if (c.hour > 0) {
          cooldown = limits.cooldownSeconds;
          for (let n = 2; n <= c.hour; n++) cooldown *= 2;
        }
        const cooldownLeft = c.lastAgo === null ? 0 : Math.max(0, cooldown - c.lastAgo);
        return {
          ...c,
          decision: rows[i],
          cooldownLeft,
          dayFull: c.day >= limits.perDay,
          hourFull: c.hour >= limits.perHour,
        };
      });
    });

    /** The cases breaking `rule`, described; an empty list when the invariant holds. */
    const violations = (rule: (c: Checked) => boolean) => checked.filter((c) => !rule(c)).map(describeCase);

    it('covers thousands of histories, allowed and refused by each limit', () => {
      expect(checked.length).toBeGreaterThan(1000);
      const outcomes = new Set(checked.map((c) => `${c.decision.code}/${c.decision.limit_name}`));
      expect([...outcomes].sort()).toEqual([
        'RATE_LIMITED/phone_day',
        'RATE_LIMITED/phone_hour',
        'RESEND_TOO_SOON/phone_cooldown',
        'null/null',
      ]);
    });

    it('allows a send iff both caps are below their limit and the cooldown has passed', () => {
      expect(
        violations((c) => (c.decision.code === null) === (!c.dayFull && !c.hourFull && c.cooldownLeft === 0)),
      ).toEqual([]);
    });

    it('an allowed send carries no wait and no limit; a refusal asks to wait at least 1 s', () => {
      expect(
        violations((c) =>
          c.decision.code === null
            ? c.decision.retry_after === null && c.decision.limit_name === null
            : c.decision.retry_after !== null && c.decision.retry_after >= 1,
        ),
      ).toEqual([]);
    });

    it("a cap's refusal never asks for less than the cooldown's wait", () => {
      expect(
        violations((c) => c.decision.code !== ErrorCode.RateLimited || c.decision.retry_after! >= c.cooldownLeft),
      ).toEqual([]);
    });

    it('names the daily cap first, then the hourly cap, then the cooldown', () => {
      const expectedRefusal = (c: Checked) =>
        c.dayFull
          ? `${ErrorCode.RateLimited}/phone_day`
          : c.hourFull
            ? `${ErrorCode.RateLimited}/phone_hour`
            : c.cooldownLeft > 0
              ? `${ErrorCode.ResendTooSoon}/phone_cooldown`
              : 'null/null';
      expect(violations((c) => `${c.decision.code}/${c.decision.limit_name}` === expectedRefusal(c))).toEqual([]);
    });

    it("waits exactly for the oldest send to leave the cap's window (or the cooldown's end, if later)", () => {
      const expectedWait = (c: Checked) => {
        if (c.dayFull) return Math.max(1, DAY - c.oldestDayAgo!, c.cooldownLeft);
        if (c.hourFull) return Math.max(1, HOUR - c.oldestHourAgo!, c.cooldownLeft);
        return c.cooldownLeft > 0 ? c.cooldownLeft : null;
      };
      expect(violations((c) => c.decision.retry_after === expectedWait(c))).toEqual([]);
    });
  });
});
