import { Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { decodeJwt, SignJWT } from 'jose';
import { DeliveryStatus } from '@app/sms';
import { DeliveryTrackingService } from '../../libs/verification/src/delivery/delivery-tracking.service';
import { postWebhook } from '../fakes/fake-http-server';
import { type MessaggioFake, startMessaggioFake } from '../fakes/messaggio.fake';
import { startTwilioFake, type TwilioFake } from '../fakes/twilio.fake';
import { ADMIN_API_KEY, AUDIT, STATS, VERIFICATIONS } from '../admin/admin-helpers';
import { signingKeyOf } from '../support/access-tokens';
import { rawHttp } from '../support/raw-http';
import { expectError, login, LOGOUT, ME, REFRESH, RESEND_CODE, SEND_CODE, VERIFY_CODE } from '../support/http-helpers';
import { createTestApp, nextPhone, type TestApp } from '../support/test-app';

/**
 * Issue 9, bad input: each of these was a 500 (with a stack in the log) and must be a 4xx with the
 * standard error body, logging nothing at error level.
 */
const WEBHOOKS = '/api/v1/sms-auth/webhooks';
const BODY_ROUTES = [SEND_CODE, RESEND_CODE, VERIFY_CODE, REFRESH, LOGOUT];
const DEEP_ARRAY = '['.repeat(2000) + ']'.repeat(2000);

describe('bad input (e2e)', () => {
  let twilio: TwilioFake;
  let messaggio: MessaggioFake;
  let t: TestApp;
  let baseUrl: string;
  let logged: string[];
  const spies: jest.SpyInstance[] = [];

  beforeAll(async () => {
    twilio = await startTwilioFake();
    messaggio = await startMessaggioFake();
    t = await createTestApp({
      env: { ...twilio.env, ...messaggio.env, SMS_PROVIDER: 'twilio,messaggio', ADMIN_API_KEY },
    });
    await t.app.listen(0, '127.0.0.1');
    baseUrl = (await t.app.getUrl()).replace('[::1]', '127.0.0.1');
  });
  afterAll(async () => {
    await t?.close();
    await twilio?.close();
    await messaggio?.close();
  });

  // Whatever the app logs at error or fatal level (the error filter logs every 500 with its stack there).
  beforeEach(() => {
    logged = [];
    for (const level of ['error', 'fatal'] as const) {
      spies.push(
        jest.spyOn(Logger.prototype, level).mockImplementation((...args: unknown[]) => {
          logged.push(args.map(String).join(' '));
        }),
        jest.spyOn(Logger, level).mockImplementation((...args: unknown[]) => {
          logged.push(args.map(String).join(' '));
        }),
      );
    }
  });
  afterEach(() => {
    for (const spy of spies.splice(0)) spy.mockRestore();
  });
  function expectNothingLogged(): void {
    expect(logged).toEqual([]);
    expect(logged.join('\n')).not.toMatch(/\n\s+at |INTERNAL/);
  }

  function postRaw(path: string, body: string, type = 'application/json') {
    return t.http.post(path).set('Content-Type', type).send(body);
  }

  describe('1. deeply nested bodies are refused before validation', () => {
    it.each(BODY_ROUTES)('%s: 2000 nested arrays → 400 VALIDATION_FAILED', async (path) => {
      const error = expectError(await postRaw(path, DEEP_ARRAY), 400, 'VALIDATION_FAILED');
      expect(error.message).toMatch(/nested deeper than 32/);
      expectNothingLogged();
    });

    it('a deep object inside a field, and as deep as the limit allows plus one', async () => {
      const deepObject = '{"a":'.repeat(2000) + '1' + '}'.repeat(2000);
      const error = expectError(await postRaw(SEND_CODE, `{"phone_number":${deepObject}}`), 400, 'VALIDATION_FAILED');
      expect(error.fields).toEqual([{ field: 'phone_number', messages: [expect.stringMatching(/nested deeper/)] }]);
      // 33 levels of containers: one more than allowed.
      expect((await postRaw(SEND_CODE, '['.repeat(33) + ']'.repeat(33))).body.error.message).toMatch(/nested deeper/);
      expectNothingLogged();
    });

    it('moderately nested bodies still get the usual field errors', async () => {
      const error = expectError(
        await t.http.post(SEND_CODE).send({ phone_number: { a: { b: { c: [1, [2]] } } } }),
        400,
        'VALIDATION_FAILED',
      );
      expect((error.fields as { field: string }[]).map((field) => field.field)).toContain('phone_number');
      expectNothingLogged();
    });

    it('a deeply nested urlencoded body (extended parsing) on a webhook → 400', async () => {
      const key = 'a' + '[b]'.repeat(100);
      const res = await postRaw(`${WEBHOOKS}/twilio`, `${key}=1`, 'application/x-www-form-urlencoded');
      expectError(res, 400, 'VALIDATION_FAILED');
      expectNothingLogged();
    });
  });

  describe('2. admin from/to that pass the ISO check but not new Date()', () => {
    const unreadable = ['2026-W01', '20260101', '2026-01-01T00Z', '2026-01-01T00:00:00,5Z'];
    const cases = [STATS, VERIFICATIONS, AUDIT].flatMap((path) =>
      unreadable.flatMap((value) => [
        { path, field: 'from', value },
        { path, field: 'to', value },
      ]),
    );

    it.each(cases)('$path?$field=$value → 400 with error.fields', async ({ path, field, value }) => {
      const res = await t.http
        .get(path)
        .query({ [field]: value })
        .set('Authorization', `Bearer ${ADMIN_API_KEY}`);
      const error = expectError(res, 400, 'VALIDATION_FAILED');
      expect((error.fields as { field: string }[]).map((entry) => entry.field)).toEqual([field]);
      expectNothingLogged();
    });

    it('readable dates still work', async () => {
      const res = await t.http
        .get(STATS)
        .query({ from: '2026-01-01T00:00:00Z', to: '2026-01-02' })
        .set('Authorization', `Bearer ${ADMIN_API_KEY}`);
      expect(res.status).toBe(200);
    });
  });

  describe('3. /auth/me with a correctly signed token whose claims are not ours', () => {
    /** Signed with the app's own key and kid (the worker's ES256 test key). */
    function sign(claims: Record<string, unknown>): Promise<string> {
      const config = t.app.get(ConfigService);
      const key = signingKeyOf(t.env.JWT_PRIVATE_KEYS);
      return new SignJWT({
        sub: '6f1c2a8e-1d3b-4c5a-9e7f-0a1b2c3d4e5f',
        sid: '0d9e8f7a-6b5c-4d3e-8f1a-2b3c4d5e6f70',
        phone_number: '+77011234567',
        iss: config.get<string>('JWT_ISSUER'),
        aud: config.get<string>('JWT_AUDIENCE'),
        ...claims,
      })
        .setProtectedHeader({ alg: key.alg, kid: key.kid })
        .setIssuedAt()
        .setExpirationTime('5m')
        .sign(key.privateKey);
    }

    it.each([
      ['sub', 'not-a-uuid'],
      ['sub', 12345],
      ['sub', '\u0000'],
      ['sid', 'not-a-uuid'],
      ['sid', 12345],
      ['sid', '6f1c2a8e-1d3b-4c5a-9e7f-0a1b2c3d4e5f\u0000'],
      ['sub', null],
      ['phone_number', '+7701\u0000'],
    ])('%s = %j → 401 UNAUTHORIZED', async (claim, value) => {
      const res = await t.http.get(ME).set('Authorization', `Bearer ${await sign({ [claim]: value })}`);
      expectError(res, 401, 'UNAUTHORIZED');
      expectNothingLogged();
    });

    it('a well-formed token of an unknown session is still a plain 401, a real one still works', async () => {
      expectError(await t.http.get(ME).set('Authorization', `Bearer ${await sign({})}`), 401, 'UNAUTHORIZED');
      const session = await login(t, nextPhone());
      expect((await t.http.get(ME).set('Authorization', `Bearer ${session.access_token}`)).status).toBe(200);
      // sign() makes tokens the service accepts: with a live session's claims, 200.
      const { sub, sid, phone_number } = decodeJwt(session.access_token);
      const made = await sign({ sub, sid, phone_number });
      expect((await t.http.get(ME).set('Authorization', `Bearer ${made}`)).status).toBe(200);
      expectNothingLogged();
    });
  });

  describe('4. a NUL never reaches SQL, wherever it comes from', () => {
    it.each([
      [SEND_CODE, { phone_number: '+7701\u00001234567' }],
      [SEND_CODE, { phone_number: '+77011234567', locale: 'en\u0000' }],
      [SEND_CODE, { 'phone_number\u0000': '+77011234567' }],
      [RESEND_CODE, { phone_number: '\u0000' }],
      [VERIFY_CODE, { phone_number: '+77011234567', code: '12345\u0000' }],
      [REFRESH, { refresh_token: 'abc\u0000def' }],
      [LOGOUT, { refresh_token: '\u0000' }],
      [`${WEBHOOKS}/messaggio/${'x'.repeat(8)}`, { message_id: '\u0000', status: 70 }],
    ])('body of POST %s → 400 VALIDATION_FAILED', async (path, body) => {
      expectError(await t.http.post(path).send(body), 400, 'VALIDATION_FAILED');
      expectNothingLogged();
    });

    it('a urlencoded body with a NUL', async () => {
      const res = await postRaw(
        `${WEBHOOKS}/twilio`,
        'MessageSid=%00&MessageStatus=delivered',
        'application/x-www-form-urlencoded',
      );
      expectError(res, 400, 'VALIDATION_FAILED');
      expectNothingLogged();
    });

    it.each([
      `${VERIFICATIONS}?phone=%2B7701%00`,
      `${VERIFICATIONS}?status=pending%00`,
      `${VERIFICATIONS}?provider=%00`,
      `${AUDIT}?type=%00`,
      `${AUDIT}?user_id=%00`,
      `${AUDIT}?phone=%00`,
      `${STATS}?group_by=day%00`,
    ])('query string: GET %s → 400', async (path) => {
      expectError(await t.http.get(path).set('Authorization', `Bearer ${ADMIN_API_KEY}`), 400, 'VALIDATION_FAILED');
      expectNothingLogged();
    });

    it.each([`${WEBHOOKS}/%00`, `${WEBHOOKS}/messaggio/%00`, `${WEBHOOKS}/twilio%00`])(
      'path parameter: POST %s → 400',
      async (path) => {
        expectError(await t.http.post(path).send({}), 400, 'VALIDATION_FAILED');
        expectNothingLogged();
      },
    );

    it.each(['User-Agent', 'X-Forwarded-For'])('a %s header with a NUL → 400 JSON, nothing recorded', async (name) => {
      const phone = nextPhone();
      const body = JSON.stringify({ phone_number: phone });
      const answer = await rawHttp(
        Number(new URL(baseUrl).port),
        `POST ${SEND_CODE} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n` +
          `Content-Length: ${body.length}\r\n${name}: evil\u0000agent\r\nConnection: close\r\n\r\n${body}`,
      );
      expect(answer.status).toBe(400);
      expect(JSON.parse(answer.body)).toMatchObject({
        success: false,
        error: { code: 'VALIDATION_FAILED' },
      });
      const { rows } = await t.sql.query('SELECT count(*)::int AS n FROM sms_verifications WHERE phone_number = $1', [
        phone,
      ]);
      expect(rows[0].n).toBe(0);
      expectNothingLogged();
    });

    it('signed webhooks: Twilio MessageSid=%00 and Messaggio message_id "\\u0000" at the right path', async () => {
      const url = `${baseUrl}${WEBHOOKS}/twilio`;
      const callback = twilio.signedCallback(url, '\u0000', 'delivered');
      expect(callback.body).toContain('MessageSid=%00');
      const twilioAnswer = await postWebhook(url, callback.body, callback.headers);
      expect(twilioAnswer.status).toBe(400);
      expect(JSON.parse(twilioAnswer.text).error.code).toBe('VALIDATION_FAILED');

      const report = messaggio.deliveryReport('\u0000', 70);
      const messaggioAnswer = await postWebhook(
        `${baseUrl}${WEBHOOKS}/messaggio/${report.pathToken}`,
        report.body,
        report.headers,
      );
      expect(messaggioAnswer.status).toBe(400);
      expectNothingLogged();
    });

    it('a delivery report whose message id holds a NUL is ignored by the tracking itself', async () => {
      const tracking = t.app.get(DeliveryTrackingService);
      const outcome = await tracking.apply(
        'twilio',
        { messageId: 'SM\u0000', status: DeliveryStatus.Delivered, providerStatus: 'delivered' },
        'webhook',
      );
      expect(outcome).toBe('unknown_message');
      expectNothingLogged();
    });
  });
});
