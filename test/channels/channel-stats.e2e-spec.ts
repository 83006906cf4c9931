import { ADMIN_API_KEY, adminGet, STATS, VERIFICATIONS } from '../admin/admin-helpers';
import { SEND_CODE, verify } from '../support/http-helpers';
import { nextIp, nextPhone, nextUzbekPhone } from '../support/test-app';
import { type ChannelApp, createChannelApp, TEST_NUMBER } from './channel-links';

/**
 * GET /admin/stats?group_by=channel and the attempts of /admin/verifications, against codes this file created.
 *
 * Chains: KZ (default) telegram, console; UZ telegram, greensms. SMS_PRICES console=0.05, greensms=0.03,
 * telegram=0.02 (USD). The figures are checked twice: against a mirror of the definitions computed here from
 * the rows the app wrote, and against the sums worked out by hand below.
 *
 * Definitions (stats.repository.ts): a code's cost is the sum over its attempts of the vendor-stated cost when
 * in USD (or without a currency), else, for an accepted attempt, SMS_PRICES of its provider. Its channel is
 * that of the attempt that delivered it, else of its last accepted attempt; test numbers `sms`; `none` when no
 * link accepted. saved_vs_sms, over telegram/whatsapp codes: the SMS price of the first priced SMS link of the
 * code's country's chain (KZ console 0.05, UZ greensms 0.03) minus the code's cost.
 */

const PRICES: Record<string, string> = { console: '0.05', greensms: '0.03', telegram: '0.02' };
const SMS_PRICE_BY_COUNTRY: Record<string, string> = { KZ: '0.05', UZ: '0.03' };
const NON_SMS = ['telegram', 'whatsapp'];

/** Amounts in millionths (sms_deliveries.cost has 6 decimals): exact integer arithmetic. */
const micros = (amount: string | number) => Math.round(Number(amount) * 1e6);

interface CodeRow {
  id: string;
  country: string;
  provider: string | null;
  status: string;
}

interface AttemptRow {
  verification_id: string;
  attempt_number: number;
  provider: string;
  channel: string;
  provider_message_id: string | null;
  status: string;
  cost: string | null;
  cost_currency: string | null;
}

interface Mirror {
  requested: number;
  sent: number;
  verified: number;
  cost: number;
  saved: number;
}

/** The per-channel figures, by the definitions above, from the rows in the database. */
async function mirror(app: ChannelApp): Promise<Map<string, Mirror>> {
  const codes: CodeRow[] = (await app.t.sql.query(`SELECT id, country, provider, status FROM sms_verifications`)).rows;
  const attempts: AttemptRow[] = (
    await app.t.sql.query(
      `SELECT verification_id, attempt_number, provider, channel, provider_message_id, status, cost::text,
              cost_currency FROM sms_deliveries`,
    )
  ).rows;
  const groups = new Map<string, Mirror>();
  for (const code of codes) {
    const own = attempts.filter((attempt) => attempt.verification_id === code.id);
    const accepted = own
      .filter((attempt) => attempt.provider_message_id !== null)
      .sort((a, b) => b.attempt_number - a.attempt_number);
    const carrier = accepted.find((attempt) => attempt.status === 'delivered') ?? accepted[0];
    const channel = carrier?.channel ?? (code.provider !== null ? 'sms' : 'none');
    const cost = own.reduce((sum, attempt) => {
      if (attempt.cost !== null && (attempt.cost_currency === null || attempt.cost_currency === 'USD'))
        return sum + micros(attempt.cost);
      if (attempt.provider_message_id !== null) return sum + micros(PRICES[attempt.provider] ?? 0);
      return sum;
    }, 0);
    const group = groups.get(channel) ?? { requested: 0, sent: 0, verified: 0, cost: 0, saved: 0 };
    group.requested += 1;
    group.sent += code.provider !== null ? 1 : 0;
    group.verified += code.status === 'approved' ? 1 : 0;
    group.cost += cost;
    if (NON_SMS.includes(channel)) group.saved += micros(SMS_PRICE_BY_COUNTRY[code.country]) - cost;
    groups.set(channel, group);
  }
  return groups;
}

interface StatsGroup {
  key: string;
  requested: number;
  sent: number;
  verified: number;
  conversion_rate: number | null;
  estimated_cost: string;
  saved_vs_sms?: string;
}

describe('stats per channel, costs per attempt (e2e)', () => {
  let app: ChannelApp;
  const sent: Record<string, { id: string; phone: string }> = {};

  const send = async (label: string, phone: string, body: Record<string, unknown> = {}, status = 200) => {
    const res = await app.t.http
      .post(SEND_CODE)
      .set('X-Forwarded-For', nextIp())
      .send({ phone_number: phone, ...body });
    if (res.status !== status) throw new Error(`${label}: ${res.status} ${JSON.stringify(res.body)}`);
    if (status === 200) sent[label] = { id: res.body.verification_id, phone };
    return res.body;
  };

  /** A second link's attempt on a code, as a delivery-driven failover writes it. */
  const addAttempt = (label: string, provider: string, status: string) =>
    app.t.sql.query(
      `INSERT INTO sms_deliveries (verification_id, attempt_number, provider, channel, provider_message_id, status,
         created_at, updated_at)
       VALUES ($1, 2, $2, 'sms', $3, $4, now(), now())`,
      [sent[label].id, provider, `${provider}-${sent[label].id}`, status],
    );

  beforeAll(async () => {
    app = await createChannelApp({
      SMS_ROUTES: 'UZ=eskiz,greensms',
      SMS_PRICES: Object.entries(PRICES)
        .map(([provider, price]) => `${provider}=${price}`)
        .join(';'),
      SMS_PRICE_CURRENCY: 'USD',
    });
    const { telegram, console } = app;

    telegram.cost = { amount: '0.01', currency: 'USD' };
    const a = await send('A: KZ telegram, 0.01 USD stated, verified', nextPhone());
    expect((await verify(app.t, sent['A: KZ telegram, 0.01 USD stated, verified'].phone, a.debug_code)).status).toBe(
      200,
    );
    telegram.cost = { amount: '0.5', currency: 'EUR' };
    await send('B: KZ telegram, cost stated in EUR (→ SMS_PRICES 0.02)', nextPhone());
    telegram.cost = undefined;
    await send('C: KZ telegram, no cost stated (→ 0.02)', nextPhone());
    await send('D: KZ sms asked (console 0.05)', nextPhone(), { channel: 'sms' });
    telegram.cost = { amount: '0.012', currency: 'USD' };
    const e = await send('E: UZ telegram 0.012, verified', nextUzbekPhone());
    expect((await verify(app.t, sent['E: UZ telegram 0.012, verified'].phone, e.debug_code)).status).toBe(200);
    await send('F: UZ sms asked (greensms 0.03)', nextUzbekPhone(), { channel: 'sms' });
    telegram.refuse = true;
    await send('G: KZ telegram refuses, console takes it (0.05)', nextPhone());
    console.refuse = true;
    await send('H: KZ nobody takes it', nextPhone(), {}, 502);
    telegram.refuse = false;
    console.refuse = false;
    await send('I: a test number (sms, no cost)', TEST_NUMBER);
    telegram.cost = { amount: '0.01', currency: 'USD' };
    // Telegram accepted but did not deliver; the SMS fallback did: the code is an sms code costing 0.06.
    await send('J: telegram 0.01 undelivered, console delivered', nextPhone());
    await addAttempt('J: telegram 0.01 undelivered, console delivered', 'console', 'delivered');
    // Telegram delivered after all, the SMS fallback is still "sent": a telegram code that cost 0.06 (saved −0.01).
    await send('K: telegram 0.01 delivered, console sent too', nextPhone());
    await app.t.sql.query(`UPDATE sms_deliveries SET status = 'delivered' WHERE verification_id = $1`, [
      sent['K: telegram 0.01 delivered, console sent too'].id,
    ]);
    await addAttempt('K: telegram 0.01 delivered, console sent too', 'console', 'sent');
  });
  afterAll(() => app?.t.close());

  const stats = async (groupBy: string) => {
    const res = await adminGet(app.t, STATS, { group_by: groupBy }).expect(200);
    return res.body as { group_by: string; currency: string | null; totals: StatsGroup; groups: StatsGroup[] };
  };

  it('group_by=channel: the figures of the definitions, from the rows this file created', async () => {
    const body = await stats('channel');
    expect(body).toMatchObject({ group_by: 'channel', currency: 'USD' });
    const expected = await mirror(app);
    expect(body.groups.map((group) => group.key).sort()).toEqual([...expected.keys()].sort());
    for (const group of body.groups) {
      const want = expected.get(group.key)!;
      expect({
        key: group.key,
        requested: group.requested,
        sent: group.sent,
        verified: group.verified,
        cost: micros(group.estimated_cost),
        saved: micros(group.saved_vs_sms!),
      }).toEqual({ key: group.key, ...want });
    }
  });

  it('group_by=channel: the sums worked out by hand', async () => {
    const body = await stats('channel');
    const byKey = Object.fromEntries(body.groups.map((group) => [group.key, group]));
    // A 0.01 + B 0.02 + C 0.02 + E 0.012 + K (0.01 + 0.05); saved (0.05−0.01) + 0.03 + 0.03 + (0.03−0.012) − 0.01.
    expect(byKey.telegram).toMatchObject({ requested: 5, sent: 5, verified: 2, conversion_rate: 0.4 });
    expect(micros(byKey.telegram.estimated_cost)).toBe(micros('0.122'));
    expect(micros(byKey.telegram.saved_vs_sms!)).toBe(micros('0.108'));
    // D 0.05 + F 0.03 + G 0.05 + I 0 + J (0.01 + 0.05); sms codes save nothing by definition.
    expect(byKey.sms).toMatchObject({ requested: 5, sent: 5, verified: 0 });
    expect(micros(byKey.sms.estimated_cost)).toBe(micros('0.19'));
    expect(byKey.sms.saved_vs_sms).toBe('0');
    expect(byKey.none).toMatchObject({ requested: 1, sent: 0, estimated_cost: '0', saved_vs_sms: '0' });
    expect(byKey.whatsapp).toBeUndefined();
    expect(body.totals).toMatchObject({ requested: 11, sent: 10, verified: 2 });
    expect(micros(body.totals.estimated_cost)).toBe(micros('0.312'));
    expect(micros(body.totals.saved_vs_sms!)).toBe(micros('0.108'));
  });

  it('the other groupings count the same costs (vendor-stated, else SMS_PRICES) and carry no saved_vs_sms', async () => {
    for (const groupBy of ['provider', 'country', 'day']) {
      const body = await stats(groupBy);
      expect(micros(body.totals.estimated_cost)).toBe(micros('0.312'));
      expect(body.totals.saved_vs_sms).toBeUndefined();
      for (const group of body.groups) expect(group.saved_vs_sms).toBeUndefined();
    }
    const byProvider = Object.fromEntries((await stats('provider')).groups.map((group) => [group.key, group]));
    // sms_verifications.provider is the link that accepted first: J and K count under telegram there.
    expect(micros(byProvider.telegram.estimated_cost)).toBe(micros('0.122') + micros('0.06'));
  });

  it('/admin/verifications: each attempt has its channel and its cost, as stated or from SMS_PRICES', async () => {
    const attemptsOf = async (label: string) => {
      const res = await adminGet(app.t, VERIFICATIONS, { phone: sent[label].phone }).expect(200);
      const item = res.body.items.find((row: { id: string }) => row.id === sent[label].id);
      return (item.deliveries as Record<string, unknown>[]).map(
        ({ attempt_number, provider, channel, cost, cost_currency, cost_source }) => ({
          attempt_number,
          provider,
          channel,
          cost: cost === null ? null : micros(cost as string),
          cost_currency,
          cost_source,
        }),
      );
    };
    expect(await attemptsOf('A: KZ telegram, 0.01 USD stated, verified')).toEqual([
      {
        attempt_number: 1,
        provider: 'telegram',
        channel: 'telegram',
        cost: micros('0.01'),
        cost_currency: 'USD',
        cost_source: 'vendor',
      },
    ]);
    // Shown as the vendor stated it, in its currency (the stats, in USD, use SMS_PRICES for it instead).
    expect(await attemptsOf('B: KZ telegram, cost stated in EUR (→ SMS_PRICES 0.02)')).toEqual([
      expect.objectContaining({ cost: micros('0.5'), cost_currency: 'EUR', cost_source: 'vendor' }),
    ]);
    expect(await attemptsOf('C: KZ telegram, no cost stated (→ 0.02)')).toEqual([
      expect.objectContaining({ cost: micros('0.02'), cost_currency: 'USD', cost_source: 'sms_prices' }),
    ]);
    expect(await attemptsOf('G: KZ telegram refuses, console takes it (0.05)')).toEqual([
      {
        attempt_number: 1,
        provider: 'telegram',
        channel: 'telegram',
        cost: null,
        cost_currency: null,
        cost_source: null,
      },
      {
        attempt_number: 2,
        provider: 'console',
        channel: 'sms',
        cost: micros('0.05'),
        cost_currency: 'USD',
        cost_source: 'sms_prices',
      },
    ]);
  });

  it('rejects an unknown group_by, naming the choices', async () => {
    const res = await adminGet(app.t, STATS, { group_by: 'pigeon' }).expect(400);
    expect(res.body.error.code).toBe('VALIDATION_FAILED');
    expect(JSON.stringify(res.body.error.fields)).toContain('channel');
  });
});

describe('stats per channel without SMS_PRICES (e2e)', () => {
  let app: ChannelApp;
  beforeAll(async () => {
    app = await createChannelApp({ SMS_PRICE_CURRENCY: 'USD' });
  });
  afterAll(() => app?.t.close());

  it('counts only the costs vendors stated in SMS_PRICE_CURRENCY; no SMS price, so nothing saved', async () => {
    const send = (body: Record<string, unknown> = {}) =>
      app.t.http
        .post(SEND_CODE)
        .set('X-Forwarded-For', nextIp())
        .send({ phone_number: nextPhone(), ...body })
        .expect(200);
    app.telegram.cost = { amount: '0.01', currency: 'USD' };
    await send();
    app.telegram.cost = { amount: '0.7', currency: 'EUR' };
    await send();
    await send({ channel: 'sms' });

    const res = await adminGet(app.t, STATS, { group_by: 'channel' }, ADMIN_API_KEY).expect(200);
    // A vendor stated a cost in USD: the figures have a currency though SMS_PRICES is empty.
    expect(res.body.currency).toBe('USD');
    const byKey = Object.fromEntries(res.body.groups.map((group: StatsGroup) => [group.key, group]));
    expect(micros(byKey.telegram.estimated_cost)).toBe(micros('0.01'));
    expect(byKey.telegram.saved_vs_sms).toBe('0');
    expect(byKey.sms).toMatchObject({ requested: 1, estimated_cost: '0', saved_vs_sms: '0' });
  });
});
