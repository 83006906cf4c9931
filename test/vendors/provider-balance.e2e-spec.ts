import { startEskizFake, type EskizFake } from '../fakes/eskiz.fake';
import { startGreenSmsFake, type GreenSmsFake } from '../fakes/greensms.fake';
import { type MessaggioFake, startMessaggioFake } from '../fakes/messaggio.fake';
import { type MobizonFake, startMobizonFake } from '../fakes/mobizon.fake';
import { startTwilioFake, type TwilioFake } from '../fakes/twilio.fake';
import { expectError } from '../support/http-helpers';
import { createTestApp, type TestApp } from '../support/test-app';

const ADMIN_API_KEY = 'admin-key-for-the-balance-test-0123456789';

describe('GET /admin/providers/balance (and /sms-auth/check-balance)', () => {
  let greensms: GreenSmsFake;
  let twilio: TwilioFake;
  let eskiz: EskizFake;
  let mobizon: MobizonFake;
  let messaggio: MessaggioFake;
  let t: TestApp;

  beforeAll(async () => {
    [greensms, twilio, eskiz, mobizon, messaggio] = await Promise.all([
      startGreenSmsFake({ balance: '1234.5600' }),
      startTwilioFake(),
      startEskizFake({ balance: 125000.75 }),
      startMobizonFake(),
      startMessaggioFake(),
    ]);
    twilio.setBalance('12.3400', 'USD');
    mobizon.setBalance('4043.0656', 'KZT');
    const env = Object.assign({}, ...[greensms, twilio, eskiz, mobizon, messaggio].map((fake) => fake.env));
    t = await createTestApp({
      env: {
        ...env,
        SMS_PROVIDER: 'greensms,twilio,console',
        SMS_ROUTES: 'UZ=eskiz;KZ=mobizon,messaggio',
        ADMIN_API_KEY,
        SMS_PROVIDER_TIMEOUT_MS: '400',
      },
    });
  });
  afterAll(async () => {
    await t?.close();
    await Promise.all([greensms?.close(), twilio?.close(), eskiz?.close(), mobizon?.close(), messaggio?.close()]);
  });

  const asAdmin = (path: string) => t.http.get(path).set('Authorization', `Bearer ${ADMIN_API_KEY}`);

  it('answers the balance of every configured vendor as the vendor states it, or why it could not', async () => {
    const response = await asAdmin('/api/v1/admin/providers/balance').expect(200);
    expect(response.body).toEqual({
      success: true,
      providers: [
        { provider: 'greensms', balance: '1234.5600', currency: null },
        { provider: 'twilio', balance: '12.3400', currency: 'USD' },
        { provider: 'console', error: { code: 'NOT_SUPPORTED', message: expect.any(String) } },
        { provider: 'eskiz', balance: '125000.75', currency: null },
        { provider: 'mobizon', balance: '4043.0656', currency: 'KZT' },
        { provider: 'messaggio', error: { code: 'NOT_SUPPORTED', message: 'messaggio has no balance API' } },
      ],
    });
  });

  it("is also served at the seeds' path /sms-auth/check-balance", async () => {
    const alias = await asAdmin('/api/v1/sms-auth/check-balance').expect(200);
    expect(alias.body.providers.map((entry: { provider: string }) => entry.provider)).toEqual([
      'greensms',
      'twilio',
      'console',
      'eskiz',
      'mobizon',
      'messaggio',
    ]);
  });

  it('reports a vendor that is down instead of failing the whole answer', async () => {
    twilio.outage(true);
    try {
      const response = await asAdmin('/api/v1/admin/providers/balance').expect(200);
      const entry = response.body.providers.find((item: { provider: string }) => item.provider === 'twilio');
      expect(entry).toEqual({
        provider: 'twilio',
        error: { code: 'SMS_PROVIDER_UNAVAILABLE', message: expect.any(String), provider_code: expect.any(String) },
      });
      expect(response.body.providers.find((item: { provider: string }) => item.provider === 'greensms').balance).toBe(
        '1234.5600',
      );
    } finally {
      twilio.outage(false);
    }
  });

  it.each([
    ['no key', undefined],
    ['a wrong key', `Bearer ${ADMIN_API_KEY}x`],
    ['a user access token scheme', 'Bearer eyJhbGciOiJIUzI1NiJ9.e30.x'],
  ])('refuses %s with 401 UNAUTHORIZED', async (_, header) => {
    for (const path of ['/api/v1/admin/providers/balance', '/api/v1/sms-auth/check-balance']) {
      const request = t.http.get(path);
      if (header) request.set('Authorization', header);
      expectError(await request, 401, 'UNAUTHORIZED');
    }
  });
});
