import type { AddressInfo } from 'node:net';
import { Client } from 'pg';
import { SendRecordWriter } from '@app/verification';
import {
  DeliveryChannel,
  DeliveryStatus,
  SMS_PROVIDERS,
  type SmsMessage,
  type SmsProvider,
  SmsProviderError,
} from '@app/sms';
import { eventually } from '../support/eventually';
import { startPrivatePostgres, type PrivatePostgres } from '../support/private-servers';
import { createTestApp, nextIp, nextPhone, type TestApp } from '../support/test-app';
import { createTestDatabase, type TestDatabase } from '../support/test-database';
import { ADMIN_URL_VAR } from '../support/test-env';

/**
 * Issue 9, item 7: a database failure after a vendor accepted a send must not lose the send. The client
 * gets 200 with sms_id; the delivery row and exactly one code_sent event are written once the database
 * takes writes again; a request that sent nothing never counts toward cooldown and caps.
 */

const SEND = '/api/v1/sms-auth/send-code';
/** How long a pending record may take to be written: 300 × 100 ms. */
const WAIT = { attempts: 300, intervalMs: 100 };

interface Reply {
  status: number;
  body: any;
}

/** A provider that accepts every message (with an id of its own) after running the test's hook. */
class HookedProvider implements SmsProvider {
  readonly name = 'console';
  readonly channel = DeliveryChannel.Sms;
  readonly accepted: { to: string; messageId: string }[] = [];
  /** Runs before the answer; throwing makes the send fail. */
  beforeAnswer: (message: SmsMessage) => Promise<void> = () => Promise.resolve();
  private counter = 0;

  async send(message: SmsMessage) {
    await this.beforeAnswer(message);
    const messageId = `hooked-${process.pid}-${++this.counter}`;
    this.accepted.push({ to: message.to, messageId });
    return { messageId, status: DeliveryStatus.Sent };
  }
}

async function listen(t: TestApp): Promise<(body: unknown) => Promise<Reply>> {
  await t.app.listen(0, '127.0.0.1');
  const { port } = t.app.getHttpServer().address() as AddressInfo;
  return async (body) => {
    const response = await fetch(`http://127.0.0.1:${port}${SEND}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': nextIp() },
      body: JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : null };
  };
}

async function withClient<T>(url: string, work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

interface SendRecord {
  provider: string | null;
  request_id: string | null;
  status: string;
  deliveries: number;
  delivered_ids: string[];
  code_sent: number;
}

async function sendRecord(client: Client, verificationId: string): Promise<SendRecord> {
  const { rows } = await client.query<SendRecord>(
    `SELECT v.provider, v.request_id, v.status,
            (SELECT count(*)::int FROM sms_deliveries d WHERE d.verification_id = v.id) AS deliveries,
            (SELECT coalesce(array_agg(d.provider_message_id), '{}') FROM sms_deliveries d
              WHERE d.verification_id = v.id) AS delivered_ids,
            (SELECT count(*)::int FROM audit_events a WHERE a.verification_id = v.id AND a.type = 'code_sent')
              AS code_sent
       FROM sms_verifications v WHERE v.id = $1`,
    [verificationId],
  );
  return rows[0];
}

function metricValue(text: string, series: string): number {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : NaN;
}

describe('no lost send record (issue 9, item 7)', () => {
  describe('a Postgres outage of its own (private cluster)', () => {
    let pg: PrivatePostgres;
    let t: TestApp;
    let post: (body: unknown) => Promise<Reply>;
    const provider = new HookedProvider();

    beforeAll(async () => {
      pg = await startPrivatePostgres();
      t = await createTestApp({
        database: { url: pg.url, appUrl: pg.appUrl, name: 'sms_auth', drop: () => Promise.resolve() },
        overrides: [{ provide: SMS_PROVIDERS, useValue: new Map([['console', provider]]) }],
      });
      post = await listen(t);
    });
    afterEach(() => {
      provider.beforeAnswer = () => Promise.resolve();
    });
    afterAll(async () => {
      await t?.close();
      await pg?.destroy();
    });

    async function metrics(): Promise<string> {
      const response = await t.http.get('/metrics').expect(200);
      return response.text;
    }

    it.each([
      ['a restart (immediate stop, started again at once)', 0],
      ['a 10 s stop', 10_000],
    ])('the vendor accepted, then %s: 200 with sms_id, and the record appears once', async (_, downMs) => {
      const phone = nextPhone();
      const retriesBefore = metricValue(await metrics(), 'sms_auth_send_record_retries_total{outcome="failed"}');
      const writtenBefore = metricValue(await metrics(), 'sms_auth_send_record_retries_total{outcome="written"}');
      let restarted: Promise<void> = Promise.resolve();
      provider.beforeAnswer = async () => {
        await pg.stop('immediate');
        restarted = new Promise((resolve) => setTimeout(resolve, downMs)).then(() => pg.start());
      };

      const reply = await post({ phone_number: phone });

      expect(reply.status).toBe(200);
      const sent = provider.accepted.at(-1)!;
      expect(sent.to).toBe(phone);
      expect(reply.body).toMatchObject({ success: true, sms_id: sent.messageId });
      await restarted;
      const writer = t.app.get(SendRecordWriter);
      await eventually(() => writer.pendingCount === 0, 'the pending record to be written', WAIT);
      await withClient(pg.url, async (client) => {
        expect(await sendRecord(client, reply.body.verification_id)).toEqual({
          provider: 'console',
          request_id: sent.messageId,
          status: 'pending',
          deliveries: 1,
          delivered_ids: [sent.messageId],
          code_sent: 1,
        });
      });
      const text = await metrics();
      // Behind PgBouncer a restart within its query_wait_timeout is not seen: the write waits for the server
      // instead of failing, and there is nothing to retry.
      const writeFailed = pg.poolerQueryWaitSeconds === undefined || downMs > pg.poolerQueryWaitSeconds * 1000;
      if (writeFailed) {
        const failed = metricValue(text, 'sms_auth_send_record_retries_total{outcome="failed"}');
        expect(failed).toBeGreaterThan(retriesBefore);
        expect(metricValue(text, 'sms_auth_send_record_retries_total{outcome="written"}')).toBe(writtenBefore + 1);
      }
      expect(metricValue(text, 'sms_auth_send_records_pending')).toBe(0);

      // The code works: it was sent and recorded.
      const verify = await t.http
        .post('/api/v1/sms-auth/verify-code')
        .set('x-forwarded-for', nextIp())
        .send({ phone_number: phone, code: reply.body.debug_code });
      expect(verify.status).toBe(200);
    });

    it('the vendor failed and the database went away: an error, and the retry is not RESEND_TOO_SOON', async () => {
      const phone = nextPhone();
      provider.beforeAnswer = async () => {
        await pg.stop('immediate');
        throw new SmsProviderError('unavailable', 'console', 'timeout', 'no answer');
      };

      const failed = await post({ phone_number: phone });
      expect(failed.status).toBe(503);
      expect(failed.body.error.code).toBe('SMS_PROVIDER_UNAVAILABLE');
      provider.beforeAnswer = () => Promise.resolve();
      await pg.start();
      await eventually(() => t.app.get(SendRecordWriter).pendingCount === 0, 'the failed record', WAIT);
      const { rows } = await withClient(pg.url, (client) =>
        client.query<{ status: string; attempts: number; failed_events: number }>(
          `SELECT v.status,
                  (SELECT count(*)::int FROM sms_deliveries d WHERE d.verification_id = v.id) AS attempts,
                  (SELECT count(*)::int FROM audit_events a WHERE a.verification_id = v.id
                      AND a.type = 'code_send_failed') AS failed_events
             FROM sms_verifications v WHERE v.phone_number = $1`,
          [phone],
        ),
      );
      expect(rows).toEqual([{ status: 'failed', attempts: 1, failed_events: 1 }]);

      const retry = await post({ phone_number: phone });
      expect(retry.status).toBe(200);
    });

    it('the database is down before any vendor was tried: an error, nothing sent, the retry succeeds', async () => {
      const phone = nextPhone();
      const acceptedBefore = provider.accepted.length;
      await pg.stop('fast');
      try {
        const failed = await post({ phone_number: phone });
        expect(failed.status).toBeGreaterThanOrEqual(500);
        expect(failed.body.success).toBe(false);
        expect(provider.accepted).toHaveLength(acceptedBefore);
      } finally {
        await pg.start();
      }
      await eventually(() => t.app.get(SendRecordWriter).pendingCount === 0, 'the void of the reservation', WAIT);

      const retry = await post({ phone_number: phone });
      expect(retry.status).toBe(200);
      expect(provider.accepted.at(-1)?.to).toBe(phone);
    });
  });

  describe('connections killed in the middle of requests (own database on the shared server)', () => {
    let database: TestDatabase;
    let t: TestApp;
    let post: (body: unknown) => Promise<Reply>;
    const provider = new HookedProvider();

    beforeAll(async () => {
      database = await createTestDatabase();
      t = await createTestApp({
        database,
        overrides: [{ provide: SMS_PROVIDERS, useValue: new Map([['console', provider]]) }],
      });
      post = await listen(t);
    });
    afterAll(async () => {
      await t?.close();
      await database?.drop();
    });

    it('every accepted send keeps its record, and no failed request counts toward cooldown', async () => {
      const adminUrl = process.env[ADMIN_URL_VAR]!;
      let storming = true;
      let kills = 0;
      // Only the backends of this test's own database: never anyone else's, never the server's lifecycle.
      const storm = withClient(adminUrl, async (admin) => {
        while (storming) {
          const { rows } = await admin.query<{ killed: number }>(
            `SELECT count(*) FILTER (WHERE pg_terminate_backend(pid))::int AS killed
               FROM (SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid() AND state <> 'idle'
                      ORDER BY random() LIMIT 1) AS victim`,
            [database.name],
          );
          kills += rows[0].killed;
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
      });

      const phones = Array.from({ length: 240 }, () => nextPhone());
      const replies: { phone: string; reply: Reply }[] = [];
      try {
        for (let batch = 0; batch < phones.length; batch += 12) {
          const chunk = phones.slice(batch, batch + 12);
          const answered = await Promise.all(chunk.map((phone) => post({ phone_number: phone })));
          chunk.forEach((phone, index) => replies.push({ phone, reply: answered[index] }));
        }
      } finally {
        storming = false;
        await storm;
      }
      expect(kills).toBeGreaterThan(0);
      await t.app.get(SendRecordWriter).settled();

      const ok = replies.filter(({ reply }) => reply.status === 200);
      const failed = replies.filter(({ reply }) => reply.status !== 200);
      // The storm must have hit requests on both sides of the vendor call for the test to mean anything.
      expect(ok.length).toBeGreaterThan(0);
      expect(failed.length).toBeGreaterThan(0);
      for (const { reply } of failed) expect(reply.status).toBeGreaterThanOrEqual(500);

      await withClient(database.url, async (client) => {
        // Every message a vendor accepted has its delivery row, its code's provider and one code_sent event.
        const { rows } = await client.query<{ message_id: string; deliveries: number; code_sent: number }>(
          `SELECT m.message_id,
                  (SELECT count(*)::int FROM sms_deliveries d WHERE d.provider_message_id = m.message_id) AS deliveries,
                  (SELECT count(*)::int FROM audit_events a JOIN sms_deliveries d ON d.verification_id = a.verification_id
                    WHERE d.provider_message_id = m.message_id AND a.type = 'code_sent') AS code_sent
             FROM unnest($1::text[]) AS m(message_id)`,
          [provider.accepted.map((sent) => sent.messageId)],
        );
        expect(rows.filter((row) => row.deliveries !== 1 || row.code_sent !== 1)).toEqual([]);
        expect(rows).toHaveLength(provider.accepted.length);
        // Every 200 is such a message, answered with its sms_id.
        const acceptedIds = new Set(provider.accepted.map((sent) => sent.messageId));
        for (const { reply } of ok) expect(acceptedIds.has(reply.body.sms_id)).toBe(true);
        for (const { reply } of ok) {
          const record = await sendRecord(client, reply.body.verification_id);
          expect(record).toMatchObject({ deliveries: 1, code_sent: 1, request_id: reply.body.sms_id });
        }
      });

      // A request that failed sent nothing (it failed before the vendor) and counts toward nothing.
      const acceptedPhones = new Set(provider.accepted.map((sent) => sent.to));
      for (const { phone } of failed) expect(acceptedPhones.has(phone)).toBe(false);
      const retries = await Promise.all(failed.map(({ phone }) => post({ phone_number: phone })));
      expect(retries.filter((reply) => reply.status !== 200).map((reply) => reply.body)).toEqual([]);
    });
  });
});
