import type { Response } from 'supertest';
import type { Pool } from 'pg';
import { hashRefreshToken } from '../../libs/auth/src/refresh-token-codec';
import type { TestApp } from './test-app';

export const SEND_CODE = '/api/v1/sms-auth/send-code';
export const RESEND_CODE = '/api/v1/sms-auth/resend-code';
export const VERIFY_CODE = '/api/v1/sms-auth/verify-code';
export const REFRESH = '/api/v1/auth/refresh';
export const LOGOUT = '/api/v1/auth/logout';
export const ME = '/api/v1/auth/me';

export interface SendOptions {
  /** Sent as X-Forwarded-For (the test apps trust the proxy unless TRUST_PROXY=false). */
  ip?: string;
  locale?: string;
  /** POST resend-code instead of send-code. */
  resend?: boolean;
}

/** POST send-code (or resend-code) and return the response, whatever its status. */
export function sendCode(t: TestApp, phone: string, options: SendOptions = {}): Promise<Response> {
  const req = t.http.post(options.resend ? RESEND_CODE : SEND_CODE);
  if (options.ip) req.set('X-Forwarded-For', options.ip);
  return req.send({ phone_number: phone, ...(options.locale !== undefined ? { locale: options.locale } : {}) });
}

/** POST verify-code and return the response, whatever its status. */
export function verify(t: TestApp, phone: string, code: string, ip?: string): Promise<Response> {
  const req = t.http.post(VERIFY_CODE);
  if (ip) req.set('X-Forwarded-For', ip);
  return req.send({ phone_number: phone, code });
}

/** Sends a code, asserts 200, verifies it, asserts 200 and returns the login body. */
export async function login(t: TestApp, phone: string): Promise<Response['body']> {
  const sent = await sendCode(t, phone);
  if (sent.status !== 200) throw new Error(`send-code answered ${sent.status}: ${JSON.stringify(sent.body)}`);
  const verified = await verify(t, phone, sent.body.debug_code);
  if (verified.status !== 200)
    throw new Error(`verify-code answered ${verified.status}: ${JSON.stringify(verified.body)}`);
  return verified.body;
}

/** A 6-digit code guaranteed to differ from `code`. */
export function wrongCode(code: string): string {
  return code === '000000' ? '111111' : '000000';
}

/** Moves every code of a phone back in time, as if it had been sent `interval` earlier (e.g. '2 minutes'). */
export async function ageCodes(t: TestApp, phone: string, interval: string): Promise<void> {
  await t.sql.query(`UPDATE sms_verifications SET created_at = created_at - $2::interval WHERE phone_number = $1`, [
    phone,
    interval,
  ]);
}

/** As if the refresh token had been rotated `seconds` earlier than it was (to step past the grace window). */
export async function ageRefreshRotation(t: { sql: Pool }, token: string, seconds: number): Promise<void> {
  const { rowCount } = await t.sql.query(
    `UPDATE refresh_tokens SET used_at = used_at - make_interval(secs => $2) WHERE token_hash = $1 AND used_at IS NOT NULL`,
    [hashRefreshToken(token), seconds],
  );
  expect(rowCount).toBe(1);
}

/** Asserts the error envelope `{success:false, error:{code, message, ...}}`, its status, and that it carries no stack trace. */
export function expectError(res: Response, status: number, code: string): Record<string, unknown> {
  const req = (res as unknown as { req?: { method?: string; path?: string } }).req;
  const context = `${req?.method} ${req?.path} → ${res.status} ${JSON.stringify(res.body)}`;
  if (res.status !== status) throw new Error(`expected ${status} ${code}, got ${context}`);
  expect(res.headers['content-type']).toMatch(/application\/json/);
  expect(res.body).toEqual({ success: false, error: expect.objectContaining({ code, message: expect.any(String) }) });
  expect(Object.keys(res.body).sort()).toEqual(['error', 'success']);
  expect(res.body.error.message.length).toBeGreaterThan(0);
  const text = JSON.stringify(res.body);
  expect(text).not.toMatch(/"stack"/);
  expect(text).not.toMatch(/\bat .+\.(ts|js):\d+/);
  expect(text).not.toMatch(/node_modules/);
  return res.body.error;
}
