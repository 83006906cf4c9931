import { randomBytes } from 'node:crypto';
import { DELIVERY_POLL_QUEUE } from '@app/verification';
import { startMobizonFake, type MobizonFake } from '../fakes/mobizon.fake';
import { eventually } from '../support/eventually';
import { sendCode } from '../support/http-helpers';
import { createTestApp, nextPhone, type TestApp } from '../support/test-app';
import { createTestDatabase, type TestDatabase } from '../support/test-database';

/** The status poller as a recurring pg-boss job: rounds without anyone calling pollOnce, one queued at a time. */
describe('status polling as a job', () => {
  let mobizon: MobizonFake;
  let database: TestDatabase;
  let one: TestApp;
  let two: TestApp;

  beforeAll(async () => {
    mobizon = await startMobizonFake();
    database = await createTestDatabase();
    const env = {
      ...mobizon.env,
      SMS_STATUS_POLL_INTERVAL_MS: '1000',
      OTP_SECRET: randomBytes(32).toString('base64url'),
    };
    one = await createTestApp({ env, database });
    two = await createTestApp({ env, database });
  });
  afterAll(async () => {
    await one?.close();
    await two?.close();
    await database?.drop();
    await mobizon?.close();
  });

  it('follows a message to delivered on its own, with one round waiting across two instances', async () => {
    const sent = await sendCode(one, nextPhone());
    expect(sent.status).toBe(200);

    // Mobizon's fake moves a message one step per status query: several rounds take it to DELIVRD.
    await eventually(
      async () => {
        const { rows } = await one.sql.query('SELECT delivery_status FROM sms_verifications WHERE id = $1', [
          sent.body.verification_id,
        ]);
        return rows[0].delivery_status === 'delivered';
      },
      'the poll job delivered the message',
      { attempts: 150, intervalMs: 100 },
    );
    const { rows } = await one.sql.query<{ state: string; n: number }>(
      `SELECT state, count(*)::int AS n FROM pgboss.job WHERE name = $1 AND state IN ('created', 'active', 'retry')
        GROUP BY state`,
      [DELIVERY_POLL_QUEUE],
    );
    for (const row of rows) expect(row.n).toBe(1);
  });
});
