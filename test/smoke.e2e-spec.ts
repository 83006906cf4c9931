import { createTestApp, nextPhone, TestApp } from './support/test-app';

describe('smoke', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('sends and verifies', async () => {
    const phone = nextPhone();
    const sent = await t.http.post('/api/v1/sms-auth/send-code').send({ phone_number: phone }).expect(200);
    const verified = await t.http.post('/api/v1/sms-auth/verify-code').send({ phone_number: phone, code: sent.body.debug_code }).expect(200);
    expect(verified.body.user.is_new).toBe(true);
  });
});
