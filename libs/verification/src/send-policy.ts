import { ErrorCode } from '@app/common';

export interface SendHistory {
  /** Sends to this phone (not counting failed ones) in the last hour and the last 24 hours. */
  sendsLastHour: number;
  sendsLastDay: number;
  lastSentAt: Date | null;
  /** When the oldest counted send of the hour / day leaves its window. */
  oldestInHourAt: Date | null;
  oldestInDayAt: Date | null;
}

export interface SendLimits {
  cooldownSeconds: number;
  perHour: number;
  perDay: number;
}

export type SendDecision =
  | { allowed: true }
  | { allowed: false; code: ErrorCode.ResendTooSoon | ErrorCode.RateLimited; retryAfterSeconds: number; limit: string };

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/**
 * Cooldown after the n-th send in the hour is `cooldown × 2^(n-1)`: 60 s, 120 s, 240 s… (SPEC §3),
 * then the hourly and daily caps.
 */
export function cooldownAfter(sendsLastHour: number, baseSeconds: number): number {
  return sendsLastHour <= 0 ? 0 : baseSeconds * 2 ** (sendsLastHour - 1);
}

export function decideSend(history: SendHistory, limits: SendLimits, now: Date): SendDecision {
  const secondsUntil = (at: number) => Math.max(1, Math.ceil((at - now.getTime()) / 1000));
  const cooldownEndsAt = history.lastSentAt
    ? history.lastSentAt.getTime() + cooldownAfter(history.sendsLastHour, limits.cooldownSeconds) * 1000
    : 0;
  const cooldownWait = cooldownEndsAt > now.getTime() ? secondsUntil(cooldownEndsAt) : 0;
  // A cap's wait never ends before the cooldown does: otherwise the client would retry into RESEND_TOO_SOON.
  if (history.sendsLastDay >= limits.perDay && history.oldestInDayAt) {
    const wait = Math.max(secondsUntil(history.oldestInDayAt.getTime() + DAY_MS), cooldownWait);
    return { allowed: false, code: ErrorCode.RateLimited, retryAfterSeconds: wait, limit: 'phone_day' };
  }
  if (history.sendsLastHour >= limits.perHour && history.oldestInHourAt) {
    const wait = Math.max(secondsUntil(history.oldestInHourAt.getTime() + HOUR_MS), cooldownWait);
    return { allowed: false, code: ErrorCode.RateLimited, retryAfterSeconds: wait, limit: 'phone_hour' };
  }
  if (cooldownWait > 0) {
    return { allowed: false, code: ErrorCode.ResendTooSoon, retryAfterSeconds: cooldownWait, limit: 'phone_cooldown' };
  }
  return { allowed: true };
}
