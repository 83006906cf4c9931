import { startEskizFake, type EskizFake } from '../fakes/eskiz.fake';
import { startGreenSmsFake, type GreenSmsFake } from '../fakes/greensms.fake';
import { startTwilioFake, type TwilioFake } from '../fakes/twilio.fake';
import { expectError, sendCode, verify } from '../support/http-helpers';
import { createTestApp, nextPhone, nextUzbekPhone, type TestApp } from '../support/test-app';

/** Env for sms-auth to use all three fakes (each fake's env minus its SMS_PROVIDER). */
function vendorsEnv(...fakes: { env: Record<string, string> }[]): Record<string, string> {
  return Object.assign({}, ...fakes.map(({ env: { SMS_PROVIDER: _provider, ...rest } }) => rest));
}

async function attemptsOf(t: TestApp, verificationId: string) {
  const { rows } = await t.sql.query(
    'SELECT attempt_number, provider, status, error_code, provider_message_id IS NOT NULL AS has_message_id FROM sms_deliveries WHERE verification_id = $1 ORDER BY attempt_number',
    [verificationId],
  );
  return rows;
}

describe('SMS provider chains', () => {
  let greensms: GreenSmsFake;
  let twilio: TwilioFake;
  let eskiz: EskizFake;

  beforeAll(async () => {
    [greensms, twilio, eskiz] = await Promise.all([startGreenSmsFake(), startTwilioFake(), startEskizFake()]);
  });
  afterAll(async () => {
    await Promise.all([greensms?.close(), twilio?.close(), eskiz?.close()]);
  });

  describe('failover: SMS_PROVIDER=greensms,twilio', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp({
        env: { ...vendorsEnv(greensms, twilio), SMS_PROVIDER: 'greensms,twilio', SMS_PROVIDER_TIMEOUT_MS: '400' },
      });
    });
    afterAll(() => t?.close());

    it('uses only the first vendor while it works', async () => {
      const sent = await sendCode(t, nextPhone());
      expect(sent.status).toBe(200);
      expect(await attemptsOf(t, sent.body.verification_id)).toEqual([
        { attempt_number: 1, provider: 'greensms', status: 'queued', error_code: null, has_message_id: true },
      ]);
    });

    it('sends through the second when the first is down, recording both attempts and both audit events', async () => {
      greensms.failSends(true);
      try {
        const phone = nextPhone();
        const sent = await sendCode(t, phone);
        expect(sent.status).toBe(200);
        expect(sent.body.sms_id).toBe(twilio.messages.at(-1)!.id);
        const attempts = await attemptsOf(t, sent.body.verification_id);
        expect(attempts).toEqual([
          expect.objectContaining({ attempt_number: 1, provider: 'greensms', status: 'failed', has_message_id: false }),
          expect.objectContaining({ attempt_number: 2, provider: 'twilio', status: 'queued', has_message_id: true }),
        ]);
        expect(attempts[0].error_code).not.toBeNull();
        const { rows: events } = await t.sql.query(
          `SELECT type, provider FROM audit_events WHERE verification_id = $1 AND type IN ('code_sent', 'code_send_failed') ORDER BY id`,
          [sent.body.verification_id],
        );
        expect(events).toEqual([
          { type: 'code_send_failed', provider: 'greensms' },
          { type: 'code_sent', provider: 'twilio' },
        ]);
        expect((await verify(t, phone, sent.body.debug_code)).status).toBe(200);
      } finally {
        greensms.failSends(false);
      }
    });

    it('fails over from a vendor that hangs past SMS_PROVIDER_TIMEOUT_MS', async () => {
      greensms.hangSends(true);
      try {
        const sent = await sendCode(t, nextPhone());
        expect(sent.status).toBe(200);
        const attempts = await attemptsOf(t, sent.body.verification_id);
        expect(attempts.map((attempt) => [attempt.provider, attempt.status, attempt.error_code])).toEqual([
          ['greensms', 'failed', 'timeout'],
          ['twilio', 'queued', null],
        ]);
      } finally {
        greensms.hangSends(false);
      }
    });

    it('answers 503 naming the last vendor when every vendor of the chain is down, and the code is failed', async () => {
      greensms.failSends(true);
      twilio.failSends(true);
      try {
        const sent = await sendCode(t, nextPhone());
        const error = expectError(sent, 503, 'SMS_PROVIDER_UNAVAILABLE');
        expect(error.provider).toBe('twilio');
        const { rows } = await t.sql.query(
          `SELECT status FROM sms_verifications WHERE status = 'failed' ORDER BY created_at DESC LIMIT 1`,
        );
        expect(rows).toEqual([{ status: 'failed' }]);
      } finally {
        greensms.failSends(false);
        twilio.failSends(false);
      }
    });
  });

  describe('a single vendor that hangs', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp({ env: { ...greensms.env, SMS_PROVIDER_TIMEOUT_MS: '300' } });
    });
    afterAll(() => t?.close());

    it('answers 503 SMS_PROVIDER_UNAVAILABLE with provider_code timeout', async () => {
      greensms.hangSends(true);
      try {
        const error = expectError(await sendCode(t, nextPhone()), 503, 'SMS_PROVIDER_UNAVAILABLE');
        expect(error).toMatchObject({ provider: 'greensms', provider_code: 'timeout' });
      } finally {
        greensms.hangSends(false);
      }
    });
  });

  describe('routing: SMS_ROUTES="UZ=eskiz,twilio;KZ=greensms;*=twilio"', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp({
        env: {
          ...vendorsEnv(greensms, twilio, eskiz),
          SMS_PROVIDER: 'greensms',
          SMS_ROUTES: 'UZ=eskiz,twilio;KZ=greensms;*=twilio',
        },
      });
    });
    afterAll(() => t?.close());

    it.each([
      ['an Uzbek number', nextUzbekPhone, 'eskiz'],
      ['a Kazakh number', nextPhone, 'greensms'],
      ['a Russian number', () => `+7916${String(Date.now() % 10_000_000).padStart(7, '0')}`, 'twilio'],
    ])('sends %s through its country chain', async (_, phone, provider) => {
      const sent = await sendCode(t, phone());
      expect(sent.status).toBe(200);
      expect((await attemptsOf(t, sent.body.verification_id)).map((attempt) => attempt.provider)).toEqual([provider]);
    });

    it('fails over within the country chain', async () => {
      eskiz.failSends(true);
      try {
        const sent = await sendCode(t, nextUzbekPhone());
        expect(sent.status).toBe(200);
        expect(
          (await attemptsOf(t, sent.body.verification_id)).map((attempt) => [attempt.provider, attempt.status]),
        ).toEqual([
          ['eskiz', 'failed'],
          ['twilio', 'queued'],
        ]);
      } finally {
        eskiz.failSends(false);
      }
    });
  });
});
