import { Client } from 'pg';
import { createTestApp, nextIp, nextPhone, type TestApp } from '../support/test-app';

/**
 * The server ending connections under the service (pg_terminate_backend, as a failover or an operator does),
 * idle ones included: pg then emits `error` on clients nobody is listening on, which would end the process.
 * Only the backends of this test's own database are killed.
 */
describe('connections killed under load', () => {
  let t: TestApp;
  let killer: Client;

  beforeAll(async () => {
    t = await createTestApp();
    killer = new Client({ connectionString: t.database.url });
    await killer.connect();
  });
  afterAll(async () => {
    await killer?.end();
    await t?.close();
  });

  async function killEveryBackend(): Promise<void> {
    await killer.query(
      'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
      [t.database.name],
    );
  }

  const sendCode = () =>
    t.http.post('/api/v1/sms-auth/send-code').set('X-Forwarded-For', nextIp()).send({ phone_number: nextPhone() });

  it('answers 200 or 503 (never a 500, never a crash) while every connection is killed every 5 ms', async () => {
    let storming = true;
    const storm = (async () => {
      while (storming) {
        await killEveryBackend();
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    })();
    const statuses: number[] = [];
    try {
      for (let i = 0; i < 80; i++) statuses.push((await sendCode()).status);
    } finally {
      storming = false;
      await storm;
    }
    expect(statuses.filter((status) => status !== 200 && status !== 503)).toEqual([]);
    expect(statuses).toContain(503);

    // Idle connections only: the pool holds them between requests.
    await killEveryBackend();
    await new Promise((resolve) => setTimeout(resolve, 200));
    const after = await sendCode();
    expect(after.status).toBe(200);
  });
});
