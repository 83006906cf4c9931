import { randomBytes } from 'node:crypto';
import { expectError, sendCode, verify, wrongCode } from './support/http-helpers';
import { createTestApp, nextPhone, type TestApp } from './support/test-app';
import { createTestDatabase, type TestDatabase } from './support/test-database';

/**
 * A verify checks the pending code its instance remembers from the send (one round trip instead of two), and the
 * write refuses it when it is no longer the phone's pending code. Two instances on one database: what one does
 * is never hidden from the other by what the other remembers.
 */
describe('verify against the pending code an instance remembers', () => {
  let database: TestDatabase;
  let first: TestApp;
  let second: TestApp;

  beforeAll(async () => {
    database = await createTestDatabase();
    // One service: the codes' HMAC key is the same on both instances.
    const env = { RESEND_COOLDOWN_SECONDS: '0', OTP_SECRET: randomBytes(32).toString('base64url') };
    first = await createTestApp({ database, env });
    second = await createTestApp({ database, env });
  });

  afterAll(async () => {
    await first?.close();
    await second?.close();
    await database?.drop();
  });

  const codesOf = async (phone: string) =>
    (
      await first.sql.query<{ status: string; attempts: number }>(
        'SELECT status, attempts FROM sms_verifications WHERE phone_number = $1 ORDER BY created_at',
        [phone],
      )
    ).rows;

  it('after a resend through the other instance, the old code is a wrong one and the new one logs in', async () => {
    const phone = nextPhone();
    const sent = await sendCode(first, phone);
    const resent = await sendCode(second, phone, { resend: true });
    expect([sent.status, resent.status]).toEqual([200, 200]);
    const oldCode: string =
      sent.body.debug_code === resent.body.debug_code ? wrongCode(sent.body.debug_code) : sent.body.debug_code;

    expectError(await verify(first, phone, oldCode), 400, 'CODE_INVALID');
    const login = await verify(first, phone, resent.body.debug_code);
    expect(login.status).toBe(200);
    expect(await codesOf(phone)).toEqual([
      { status: 'canceled', attempts: 0 },
      { status: 'approved', attempts: 1 },
    ]);
  });

  it('a code approved through the other instance does not log in again', async () => {
    const phone = nextPhone();
    const sent = await sendCode(first, phone);
    expect((await verify(second, phone, sent.body.debug_code)).status).toBe(200);
    expectError(await verify(first, phone, sent.body.debug_code), 404, 'NO_ACTIVE_CODE');
    expect(await codesOf(phone)).toEqual([{ status: 'approved', attempts: 0 }]);
  });

  it('a wrong code keeps the remembered one usable; the right one still logs in once', async () => {
    const phone = nextPhone();
    const sent = await sendCode(first, phone);
    expectError(await verify(first, phone, wrongCode(sent.body.debug_code)), 400, 'CODE_INVALID');
    expect((await verify(first, phone, sent.body.debug_code)).status).toBe(200);
    expectError(await verify(first, phone, sent.body.debug_code), 404, 'NO_ACTIVE_CODE');
    expect(await codesOf(phone)).toEqual([{ status: 'approved', attempts: 1 }]);
  });
});
