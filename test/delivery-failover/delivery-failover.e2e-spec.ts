import { randomBytes } from 'node:crypto';
import { jobIdFor } from '@app/jobs';
import { DELIVERY_FAILOVER_QUEUE, DeliveryPoller } from '@app/verification';
import type { Pool } from 'pg';
import { startMobizonFake, type MobizonFake } from '../fakes/mobizon.fake';
import { startTwilioFake, type TwilioFake } from '../fakes/twilio.fake';
import { eventually } from '../support/eventually';
import { sendCode, verify } from '../support/http-helpers';
import { createTestApp, nextPhone, type TestApp } from '../support/test-app';
import { createTestDatabase, type TestDatabase } from '../support/test-database';

/**
 * Delivery-driven failover (SPEC §9) on the SMS fakes: KZ goes mobizon → twilio, every link has a 1 s delivery
 * timeout, and Mobizon's messages stay undelivered unless a test delivers them (its fake moves a message on only
 * when asked for its status, and the tests' poll interval is ten minutes).
 */
describe('delivery-driven failover', () => {
  let mobizon: MobizonFake;
  let twilio: TwilioFake;

  // One deployment: every instance (and a restarted one) has the same OTP_SECRET, which seals the timers' codes.
  const otpSecret = randomBytes(32).toString('base64url');
  const envOf = (): Record<string, string> => ({
    OTP_SECRET: otpSecret,
    ...mobizon.env,
    ...twilio.env,
    SMS_PROVIDER: 'mobizon',
    SMS_ROUTES: 'KZ=mobizon,twilio',
    SMS_PROVIDER_TIMEOUT_MS: '2000',
    CHANNEL_DELIVERY_TIMEOUT_SECONDS: '1',
  });

  /** Twilio's messages carrying this code. */
  const twilioSendsOf = (code: string) => twilio.messages.filter((message) => message.text.includes(code));

  /** The pg-boss state of link `linkIndex`'s timer of a code (null: no such job). */
  async function timerState(sql: Pool, verificationId: string, linkIndex: number): Promise<string | null> {
    const id = jobIdFor(DELIVERY_FAILOVER_QUEUE, `${verificationId}:${linkIndex}`);
    const { rows } = await sql.query<{ state: string }>(
      `SELECT state FROM pgboss.job WHERE id = $1 UNION ALL SELECT state FROM pgboss.archive WHERE id = $1`,
      [id],
    );
    return rows[0]?.state ?? null;
  }

  const timerDone = (sql: Pool, verificationId: string) =>
    eventually(async () => (await timerState(sql, verificationId, 0)) === 'completed', 'the delivery timer ran', {
      attempts: 200,
      intervalMs: 50,
    });

  beforeAll(async () => {
    mobizon = await startMobizonFake();
    twilio = await startTwilioFake();
  });
  afterAll(async () => {
    await mobizon?.close();
    await twilio?.close();
  });

  describe('one instance', () => {
    let t: TestApp;
    beforeAll(async () => {
      t = await createTestApp({ env: envOf() });
    });
    afterAll(async () => t?.close());

    it('sends the same code through the next link when the first never reports delivery; it verifies once', async () => {
      const phone = nextPhone();
      const sent = await sendCode(t, phone);
      expect(sent.status).toBe(200);
      const code: string = sent.body.debug_code;
      const verificationId: string = sent.body.verification_id;
      expect(mobizon.messages.at(-1)!.text).toContain(code);
      expect(twilioSendsOf(code)).toHaveLength(0);

      await eventually(() => twilioSendsOf(code).length === 1, 'twilio sent the same code', { attempts: 100 });
      await timerDone(t.sql, verificationId);

      const { rows: deliveries } = await t.sql.query(
        `SELECT attempt_number, provider, channel, status, provider_message_id FROM sms_deliveries
          WHERE verification_id = $1 ORDER BY attempt_number`,
        [verificationId],
      );
      expect(deliveries).toEqual([
        expect.objectContaining({ attempt_number: 1, provider: 'mobizon', channel: 'sms' }),
        expect.objectContaining({
          attempt_number: 2,
          provider: 'twilio',
          channel: 'sms',
          provider_message_id: twilioSendsOf(code)[0].id,
        }),
      ]);
      const { rows: verification } = await t.sql.query(
        'SELECT provider, request_id FROM sms_verifications WHERE id = $1',
        [verificationId],
      );
      expect(verification).toEqual([{ provider: 'twilio', request_id: twilioSendsOf(code)[0].id }]);
      const { rows: events } = await t.sql.query(
        `SELECT provider, details FROM audit_events WHERE verification_id = $1 AND type = 'code_sent' ORDER BY id`,
        [verificationId],
      );
      expect(events).toEqual([
        expect.objectContaining({ provider: 'mobizon' }),
        {
          provider: 'twilio',
          details: expect.objectContaining({ failover_from: 'mobizon', reason: 'delivery_timeout' }),
        },
      ]);

      expect((await verify(t, phone, code)).status).toBe(200);
      expect((await verify(t, phone, code)).status).not.toBe(200);

      const metrics = await t.http.get('/metrics');
      expect(metrics.text).toMatch(/^sms_auth_delivery_failovers_total\{from="mobizon",to="twilio"\} [1-9]/m);
    });

    it('sends nothing more when the first link reported delivery in time', async () => {
      const phone = nextPhone();
      const sent = await sendCode(t, phone);
      const code: string = sent.body.debug_code;
      mobizon.deliver(sent.body.sms_id);
      expect(await t.app.get(DeliveryPoller).pollOnce()).toBeGreaterThanOrEqual(1);

      await timerDone(t.sql, sent.body.verification_id);

      expect(twilioSendsOf(code)).toHaveLength(0);
      const { rows } = await t.sql.query('SELECT count(*)::int AS n FROM sms_deliveries WHERE verification_id = $1', [
        sent.body.verification_id,
      ]);
      expect(rows[0].n).toBe(1);
    });

    it('sends nothing more when the code was verified before the timeout', async () => {
      const phone = nextPhone();
      const sent = await sendCode(t, phone);
      const code: string = sent.body.debug_code;
      expect((await verify(t, phone, code)).status).toBe(200);

      await timerDone(t.sql, sent.body.verification_id);

      expect(twilioSendsOf(code)).toHaveLength(0);
    });

    it('keeps no code in clear in the job tables', async () => {
      const phone = nextPhone();
      const sent = await sendCode(t, phone);
      const code: string = sent.body.debug_code;
      expect(await timerState(t.sql, sent.body.verification_id, 0)).toBe('created');

      const { rows } = await t.sql.query<{ data: string }>(
        `SELECT data::text AS data FROM pgboss.job UNION ALL SELECT data::text FROM pgboss.archive`,
      );
      expect(rows.length).toBeGreaterThan(0);
      expect(rows.filter((row) => row.data.includes(code))).toEqual([]);
      await timerDone(t.sql, sent.body.verification_id);
    });
  });

  describe('timers live in Postgres', () => {
    let database: TestDatabase;
    beforeAll(async () => {
      database = await createTestDatabase();
    });
    afterAll(async () => database?.drop());

    it('fails over once after a restart of the service during the wait', async () => {
      const first = await createTestApp({ env: envOf(), database });
      const phone = nextPhone();
      const sent = await sendCode(first, phone);
      const code: string = sent.body.debug_code;
      await first.close();
      expect(twilioSendsOf(code)).toHaveLength(0);

      const second = await createTestApp({ env: envOf(), database });
      try {
        await eventually(() => twilioSendsOf(code).length === 1, 'twilio sent the code after the restart', {
          attempts: 100,
        });
        await timerDone(second.sql, sent.body.verification_id);
        expect(twilioSendsOf(code)).toHaveLength(1);
        expect((await verify(second, phone, code)).status).toBe(200);
      } finally {
        await second.close();
      }
    });

    it('fails over exactly once with two instances on one database', async () => {
      const one = await createTestApp({ env: envOf(), database });
      const two = await createTestApp({ env: envOf(), database });
      try {
        const sent = await sendCode(one, nextPhone());
        const code: string = sent.body.debug_code;
        await timerDone(two.sql, sent.body.verification_id);
        // Both instances poll the queue: give the other one time to (wrongly) run it too.
        await new Promise((resolve) => setTimeout(resolve, 1500));
        expect(twilioSendsOf(code)).toHaveLength(1);
        const { rows } = await two.sql.query(
          `SELECT count(*)::int AS n FROM sms_deliveries WHERE verification_id = $1 AND provider = 'twilio'`,
          [sent.body.verification_id],
        );
        expect(rows[0].n).toBe(1);
      } finally {
        await one.close();
        await two.close();
      }
    });
  });
});
