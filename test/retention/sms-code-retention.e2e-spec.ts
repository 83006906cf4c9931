import { RetentionRepository, SmsCodeRetention } from '@app/retention';
import { ageCodes, login, sendCode } from '../support/http-helpers';
import { createTestApp, nextIp, nextPhone, type TestApp } from '../support/test-app';

/** SMS_CODE_RETENTION_DAYS: old codes go with their delivery rows and fraud decisions, in batches; recent ones stay. */

async function count(t: TestApp, fromWhere: string, params: unknown[] = []): Promise<number> {
  const { rows } = await t.sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${fromWhere}`, params);
  return rows[0].n;
}

describe('code retention', () => {
  let t: TestApp;
  const oldPhones: string[] = [];
  const recentPhones: string[] = [];

  beforeAll(async () => {
    t = await createTestApp({ env: { SMS_CODE_RETENTION_DAYS: '90', FRAUD_GUARD: 'record' } });
    for (let i = 0; i < 25; i++) {
      const phone = nextPhone();
      oldPhones.push(phone);
      if (i % 5 === 0) await login(t, phone);
      else expect((await sendCode(t, phone, { ip: nextIp() })).status).toBe(200);
    }
    for (let i = 0; i < 3; i++) {
      const phone = nextPhone();
      recentPhones.push(phone);
      expect((await sendCode(t, phone, { ip: nextIp() })).status).toBe(200);
    }
    for (const phone of oldPhones) await ageCodes(t, phone, '91 days');
    await t.sql.query(
      `UPDATE fraud_decisions SET created_at = created_at - interval '91 days'
                        WHERE phone_number = ANY($1)`,
      [oldPhones],
    );
    // One code just inside the retention.
    await ageCodes(t, recentPhones[0], '89 days');
  });
  afterAll(() => t.close());

  it('deletes the codes, deliveries and fraud decisions older than the retention in batches; keeps the rest', async () => {
    const oldCodes = 'sms_verifications WHERE phone_number = ANY($1)';
    const oldDeliveries = `sms_deliveries d JOIN sms_verifications v ON v.id = d.verification_id
      WHERE v.phone_number = ANY($1)`;
    const expected = {
      codes: await count(t, oldCodes, [oldPhones]),
      deliveries: await count(t, oldDeliveries, [oldPhones]),
      fraudDecisions: await count(t, 'fraud_decisions WHERE phone_number = ANY($1)', [oldPhones]),
    };
    expect(expected).toEqual({ codes: 25, deliveries: 25, fraudDecisions: 25 });
    const recent = {
      codes: await count(t, oldCodes, [recentPhones]),
      deliveries: await count(t, oldDeliveries, [recentPhones]),
      fraudDecisions: await count(t, 'fraud_decisions WHERE phone_number = ANY($1)', [recentPhones]),
    };
    const auditEvents = await count(t, 'audit_events');
    const repository = t.app.get(RetentionRepository);
    const batches = jest.spyOn(repository, 'deleteExpiredCodes');

    const report = await t.app.get(SmsCodeRetention).run(() => false, 10);

    expect(report).toEqual({ ...expected, complete: true });
    // 10, 10, 5: a statement per batch until a short one.
    expect(batches).toHaveBeenCalledTimes(3);
    expect(await Promise.all(batches.mock.results.map((result) => result.value))).toEqual([
      { codes: 10, deliveries: 10 },
      { codes: 10, deliveries: 10 },
      { codes: 5, deliveries: 5 },
    ]);
    batches.mockRestore();
    expect(await count(t, oldCodes, [oldPhones])).toBe(0);
    expect(await count(t, 'fraud_decisions WHERE phone_number = ANY($1)', [oldPhones])).toBe(0);
    expect({
      codes: await count(t, oldCodes, [recentPhones]),
      deliveries: await count(t, oldDeliveries, [recentPhones]),
      fraudDecisions: await count(t, 'fraud_decisions WHERE phone_number = ANY($1)', [recentPhones]),
    }).toEqual(recent);
    expect(
      await count(
        t,
        'sms_deliveries d WHERE NOT EXISTS (SELECT 1 FROM sms_verifications v WHERE v.id = d.verification_id)',
      ),
    ).toBe(0);
    // The audit trail keeps its own retention; the users of verified codes stay.
    expect(await count(t, 'audit_events')).toBe(auditEvents);
    expect(await count(t, 'users WHERE phone_number = ANY($1)', [oldPhones])).toBe(5);

    expect(await t.app.get(SmsCodeRetention).run(() => false, 10)).toEqual({
      codes: 0,
      deliveries: 0,
      fraudDecisions: 0,
      complete: true,
    });
  });

  it('stops between batches when asked to, leaving the rest for the next run', async () => {
    const phones = [nextPhone(), nextPhone(), nextPhone()];
    for (const phone of phones) expect((await sendCode(t, phone, { ip: nextIp() })).status).toBe(200);
    for (const phone of phones) await ageCodes(t, phone, '100 days');
    let batches = 0;
    const report = await t.app.get(SmsCodeRetention).run(() => batches++ >= 1, 2);
    expect(report).toMatchObject({ codes: 2, complete: false });
    expect(await count(t, 'sms_verifications WHERE phone_number = ANY($1)', [phones])).toBe(1);
  });

  it('deleting codes fires no trigger: nothing derived from them (statistics rollups) changes', async () => {
    const { rows } = await t.sql.query<{ tgname: string }>(
      `SELECT tgname FROM pg_trigger
        WHERE tgrelid IN ('sms_verifications'::regclass, 'sms_deliveries'::regclass) AND NOT tgisinternal
          AND tgtype & 8 <> 0`,
    );
    expect(rows).toEqual([]);
  });
});
