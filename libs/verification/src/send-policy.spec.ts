import { ErrorCode } from '@app/common';
import { cooldownAfter, decideSend, type SendHistory, type SendLimits } from './send-policy';

const NOW = new Date('2026-03-01T12:00:00.000Z');
const LIMITS: SendLimits = { cooldownSeconds: 60, perHour: 5, perDay: 10 };

const secondsAgo = (seconds: number) => new Date(NOW.getTime() - seconds * 1000);
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

describe(cooldownAfter.name, () => {
  it('is zero before the first send of the hour', () => {
    expect(cooldownAfter(0, 60)).toBe(0);
  });

  it.each([
    [1, 60],
    [2, 120],
    [3, 240],
    [4, 480],
    [5, 960],
  ])('doubles with each send in the hour: after %i send(s) it is %i s', (sends, expected) => {
    expect(cooldownAfter(sends, 60)).toBe(expected);
  });

  it('scales with the configured base', () => {
    expect([1, 2, 3].map((sends) => cooldownAfter(sends, 30))).toEqual([30, 60, 120]);
  });
});

describe(decideSend.name, () => {
  describe('allowed', () => {
    it('allows the first send ever', () => {
      expect(decideSend(history(), LIMITS, NOW)).toEqual({ allowed: true });
    });

    it('allows a resend once the cooldown has passed exactly', () => {
      expect(decideSend(sendsInHour(1, 60), LIMITS, NOW)).toEqual({ allowed: true });
    });

    it('allows a third send once the doubled cooldown (120 s) has passed', () => {
      expect(decideSend(sendsInHour(2, 121), LIMITS, NOW)).toEqual({ allowed: true });
    });

    it('ignores the cooldown when the last send is older than the hour', () => {
      const yesterdayish = history({
        sendsLastHour: 0,
        sendsLastDay: 3,
        lastSentAt: minutesAgo(90),
        oldestInDayAt: minutesAgo(300),
      });
      expect(decideSend(yesterdayish, LIMITS, NOW)).toEqual({ allowed: true });
    });

    it('allows the last send under both caps', () => {
      const history4 = history({ ...sendsInHour(4, 900), sendsLastDay: 9, oldestInDayAt: minutesAgo(600) });
      expect(decideSend(history4, LIMITS, NOW)).toEqual({ allowed: true });
    });
  });

  describe('cooldown', () => {
    it('refuses a resend 30 s after the first send with RESEND_TOO_SOON and 30 s to wait', () => {
      expect(decideSend(sendsInHour(1, 30), LIMITS, NOW)).toEqual({
        allowed: false,
        code: ErrorCode.ResendTooSoon,
        retryAfterSeconds: 30,
        limit: 'phone_cooldown',
      });
    });

    it.each([
      [2, 100, 20], // cooldown 120 s
      [3, 200, 40], // cooldown 240 s
      [4, 400, 80], // cooldown 480 s
    ])('after %i sends, the last %i s ago, asks to wait %i s more', (sends, lastSecondsAgo, retryAfter) => {
      expect(decideSend(sendsInHour(sends, lastSecondsAgo), LIMITS, NOW)).toMatchObject({
        allowed: false,
        code: ErrorCode.ResendTooSoon,
        retryAfterSeconds: retryAfter,
      });
    });

    it('rounds a partial second up', () => {
      expect(decideSend(sendsInHour(1, 30.5), LIMITS, NOW)).toMatchObject({ retryAfterSeconds: 30 });
      expect(decideSend(sendsInHour(1, 59.9), LIMITS, NOW)).toMatchObject({ retryAfterSeconds: 1 });
    });
  });

  describe('hourly cap', () => {
    it('refuses the 6th send in an hour with RATE_LIMITED until the oldest send leaves the hour', () => {
      // Oldest send 40 min ago: it leaves the window in 20 min. The cooldown (960 s) passed long ago.
      expect(decideSend(sendsInHour(5, 1800, 40), LIMITS, NOW)).toEqual({
        allowed: false,
        code: ErrorCode.RateLimited,
        retryAfterSeconds: 20 * 60,
        limit: 'phone_hour',
      });
    });

    it('answers RATE_LIMITED rather than RESEND_TOO_SOON when the cap is reached during a cooldown', () => {
      expect(decideSend(sendsInHour(5, 10, 40), LIMITS, NOW)).toMatchObject({
        code: ErrorCode.RateLimited,
        limit: 'phone_hour',
      });
    });

    it('asks to wait for the cooldown when it ends after the oldest send leaves the hour', () => {
      // The oldest send leaves the hour in 60 s, but the cooldown after 5 sends (960 s) has 900 s to go.
      expect(decideSend(sendsInHour(5, 60, 59), LIMITS, NOW)).toMatchObject({
        code: ErrorCode.RateLimited,
        retryAfterSeconds: 900,
      });
    });

    it('follows the configured cap', () => {
      const limits = { ...LIMITS, perHour: 3 };
      expect(decideSend(sendsInHour(3, 1800, 45), limits, NOW)).toMatchObject({
        code: ErrorCode.RateLimited,
        retryAfterSeconds: 15 * 60,
      });
      expect(decideSend(sendsInHour(2, 1800, 45), limits, NOW)).toEqual({ allowed: true });
    });

    it('never asks to wait less than 1 s', () => {
      expect(decideSend(sendsInHour(5, 1800, 60), LIMITS, NOW)).toMatchObject({
        code: ErrorCode.RateLimited,
        retryAfterSeconds: 1,
      });
    });
  });

  describe('daily cap', () => {
    it('refuses the 11th send in 24 h with RATE_LIMITED until the oldest send leaves the day', () => {
      // Oldest send 20 h ago: it leaves the window in 4 h. Nothing was sent in the last hour.
      const day = history({
        sendsLastHour: 0,
        sendsLastDay: 10,
        lastSentAt: minutesAgo(120),
        oldestInDayAt: minutesAgo(20 * 60),
      });
      expect(decideSend(day, LIMITS, NOW)).toEqual({
        allowed: false,
        code: ErrorCode.RateLimited,
        retryAfterSeconds: 4 * 3600,
        limit: 'phone_day',
      });
    });

    it('reports the daily window when both caps are reached', () => {
      const both = history({ ...sendsInHour(5, 1800, 40), sendsLastDay: 10, oldestInDayAt: minutesAgo(23 * 60) });
      expect(decideSend(both, LIMITS, NOW)).toMatchObject({
        code: ErrorCode.RateLimited,
        limit: 'phone_day',
        retryAfterSeconds: 3600,
      });
    });
  });
});
