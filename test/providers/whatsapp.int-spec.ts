import { createHmac } from 'node:crypto';
import { DeliveryChannel } from '../../libs/sms/src/delivery-channel';
import { DeliveryStatus } from '../../libs/sms/src/delivery-status';
import {
  type WhatsAppOptions,
  WhatsAppCloudProvider,
} from '../../libs/sms/src/providers/whatsapp/whatsapp.sms-provider';
import { WebhookRejectedError } from '../../libs/sms/src/sms-provider.error';
import type { SmsMessage, WebhookRequest } from '../../libs/sms/src/sms-provider.interface';
import { type RecordedRequest, startFakeHttpServer } from '../fakes/fake-http-server';
import { startWhatsAppFake, type WhatsAppFake, type WhatsAppWebhook } from '../fakes/whatsapp.fake';
import { expectNoCredentials, failureOf } from './provider-assertions';

const RECIPIENT = '+77001234567';
const CODE = '482916';
const MESSAGE: SmsMessage = {
  to: RECIPIENT,
  text: 'Your code: 482916',
  otp: { code: CODE, ttlSeconds: 300, verificationId: '4b0f6f0e-3f7c-4a53-9a51-1c1f1d2e3f40' },
};
const WEBHOOK_URL = 'https://auth.example.com/api/v1/sms-auth/webhooks/whatsapp';

describe('WhatsAppCloudProvider against the WhatsApp Cloud API fake', () => {
  let fake: WhatsAppFake;

  beforeEach(async () => {
    fake = await startWhatsAppFake();
  });

  afterEach(async () => {
    await fake.close();
  });

  function adapter(overrides: Partial<WhatsAppOptions> = {}): WhatsAppCloudProvider {
    return new WhatsAppCloudProvider({
      baseUrl: fake.server.origin,
      timeoutMs: 2000,
      accessToken: fake.accessToken,
      phoneNumberId: fake.phoneNumberId,
      templateName: fake.templateName,
      templateLanguage: fake.templateLanguage,
      apiVersion: fake.apiVersion,
      appSecret: fake.appSecret,
      verifyToken: fake.verifyToken,
      ...overrides,
    });
  }

  function webhookRequest(webhook: WhatsAppWebhook): WebhookRequest {
    return {
      url: WEBHOOK_URL,
      headers: webhook.headers,
      body: JSON.parse(webhook.body),
      rawBody: Buffer.from(webhook.body),
    };
  }

  it('is the whatsapp channel', () => {
    expect(adapter()).toMatchObject({ name: 'whatsapp', channel: DeliveryChannel.WhatsApp });
  });

  describe('send', () => {
    it('POSTs the authentication template with our code in the body and the copy-code button, to digits without +', async () => {
      const result = await adapter().send(MESSAGE);

      expect(result).toEqual({ messageId: expect.stringMatching(/^wamid\./), status: DeliveryStatus.Sent });
      expect(fake.requests).toHaveLength(1);
      const [request] = fake.requests;
      expect(request.method).toBe('POST');
      expect(request.path).toBe(`/${fake.apiVersion}/${fake.phoneNumberId}/messages`);
      expect(request.headers.authorization).toBe(`Bearer ${fake.accessToken}`);
      expect(request.headers['content-type']).toBe('application/json');
      expect(request.json).toEqual({
        messaging_product: 'whatsapp',
        recipient_type: 'individual',
        to: '77001234567',
        type: 'template',
        template: {
          name: fake.templateName,
          language: { code: fake.templateLanguage },
          components: [
            { type: 'body', parameters: [{ type: 'text', text: CODE }] },
            { type: 'button', sub_type: 'url', index: '0', parameters: [{ type: 'text', text: CODE }] },
          ],
        },
      });
      // No per-message TTL: message_send_ttl_seconds belongs to the template.
      expect(request.body).not.toContain('ttl');
      expect(fake.messages).toEqual([
        expect.objectContaining({ id: result.messageId, to: '77001234567', bodyCode: CODE, buttonCode: CODE }),
      ]);
    });

    it('refuses definitely, without calling Meta, a message that carries no code', async () => {
      const error = await failureOf(adapter().send({ to: RECIPIENT, text: 'Your code: 482916' }));

      expect(error).toMatchObject({ kind: 'rejected', provider: 'whatsapp', providerCode: 'no_code', definite: true });
      expect(fake.requests).toEqual([]);
    });

    it('refuses a code longer than the 15 characters Meta allows, without calling Meta', async () => {
      const error = await failureOf(adapter().send({ ...MESSAGE, otp: { ...MESSAGE.otp!, code: '1'.repeat(16) } }));

      expect(error).toMatchObject({ kind: 'rejected', providerCode: 'code_too_long', definite: true });
      expect(fake.requests).toEqual([]);
    });
  });

  describe('send failures', () => {
    it.each<[string, (whatsapp: WhatsAppFake) => Partial<WhatsAppOptions> | void, string]>([
      ['an invalid access token', () => ({ accessToken: 'EAAGwrong' }), '190'],
      ['an expired access token', (whatsapp) => whatsapp.expireToken(true), '190'],
      ['a template that does not exist', () => ({ templateName: 'no_such_template' }), '132001'],
      ['a template language that does not exist', () => ({ templateLanguage: 'kk' }), '132001'],
      ['an unknown phone number id', () => ({ phoneNumberId: '999' }), '100'],
      [
        'a recipient who is not a WhatsApp user, when Meta says so at once',
        (whatsapp) => whatsapp.notWhatsAppUsers(['77001234567'], true),
        '131026',
      ],
    ])('%s → rejected (definite) with the Graph code', async (_case, arrange, code) => {
      const overrides = arrange(fake) ?? {};

      const error = await failureOf(adapter(overrides).send(MESSAGE));

      expect(error).toMatchObject({ kind: 'rejected', provider: 'whatsapp', providerCode: code, definite: true });
      expect(error.message).toContain(code);
      expectNoCredentials(error, fake.accessToken, 'EAAGwrong');
      expect(fake.messages).toEqual([]);
    });

    it('rate limit (130429) → unavailable, definite', async () => {
      fake.rateLimit(true);

      const error = await failureOf(adapter().send(MESSAGE));

      expect(error).toMatchObject({ kind: 'unavailable', providerCode: '130429', definite: true });
      expect(error.message).toContain('throughput');
    });

    it('HTTP 500 → unavailable with the Graph code', async () => {
      fake.failSends(true);

      const error = await failureOf(adapter().send(MESSAGE));

      expect(error).toMatchObject({ kind: 'unavailable', providerCode: '131000', definite: true });
    });

    it('no answer → timeout, definite', async () => {
      fake.hangSends(true);

      const error = await failureOf(adapter({ timeoutMs: 300 }).send(MESSAGE));

      expect(error).toMatchObject({ kind: 'unavailable', providerCode: 'timeout', definite: true });
    });

    it('a 2xx without messages[0].id is unreadable and not definite (the message may be on its way)', async () => {
      const odd = await startFakeHttpServer(() => ({ status: 200, body: { messaging_product: 'whatsapp' } }));
      try {
        const error = await failureOf(adapter({ baseUrl: odd.origin }).send(MESSAGE));
        expect(error).toMatchObject({ kind: 'unavailable', providerCode: 'malformed_response', definite: false });
      } finally {
        await odd.close();
      }
    });

    it('a 4xx that is not a Graph error → unavailable malformed_response, definite', async () => {
      const odd = await startFakeHttpServer(() => ({ status: 403, body: '<html>Forbidden</html>' }));
      try {
        const error = await failureOf(adapter({ baseUrl: odd.origin }).send(MESSAGE));
        expect(error).toMatchObject({ kind: 'unavailable', providerCode: 'malformed_response', definite: true });
      } finally {
        await odd.close();
      }
    });
  });

  describe('status webhooks (X-Hub-Signature-256)', () => {
    it.each([
      ['sent', undefined, DeliveryStatus.Sent, null],
      ['delivered', undefined, DeliveryStatus.Delivered, null],
      ['read', undefined, DeliveryStatus.Read, null],
      ['failed', 131026, DeliveryStatus.Failed, '131026'],
      ['deleted', undefined, DeliveryStatus.Unknown, null],
    ])('maps a signed "%s" report', async (status, errorCode, expected, expectedCode) => {
      const { messageId } = await adapter().send(MESSAGE);

      const reports = adapter().parseDeliveryReport(webhookRequest(fake.statusWebhook(messageId, status, errorCode)));

      expect(reports).toEqual([{ messageId, status: expected, providerStatus: status, errorCode: expectedCode }]);
    });

    it('reads every status of every change of every entry, and none from an inbound message', () => {
      const a = JSON.parse(fake.statusWebhook('wamid.A', 'delivered').body);
      const b = JSON.parse(fake.statusWebhook('wamid.B', 'read').body);
      a.entry[0].changes[0].value.statuses.push(b.entry[0].changes[0].value.statuses[0]);
      a.entry.push({
        id: '1',
        changes: [{ field: 'messages', value: { messages: [{ id: 'wamid.in', type: 'text' }] } }],
      });
      const body = JSON.stringify(a);

      const reports = adapter().parseDeliveryReport(signedRequest(fake.appSecret, body));

      expect(reports.map((report) => [report.messageId, report.status])).toEqual([
        ['wamid.A', DeliveryStatus.Delivered],
        ['wamid.B', DeliveryStatus.Read],
      ]);
    });

    it('accepts the signature with upper-case hex digits', () => {
      const webhook = fake.statusWebhook('wamid.A', 'delivered');
      const signature = webhook.headers['x-hub-signature-256'];
      const upper = {
        ...webhook,
        headers: { ...webhook.headers, 'x-hub-signature-256': `sha256=${signature.slice(7).toUpperCase()}` },
      };

      expect(adapter().parseDeliveryReport(webhookRequest(upper))).toHaveLength(1);
    });

    it('refuses a forged, missing, or mis-prefixed signature, and a body changed after signing', () => {
      const forged = fake.forgedWebhook('wamid.A', 'delivered');
      expect(() => adapter().parseDeliveryReport(webhookRequest(forged))).toThrow(WebhookRejectedError);

      const signed = fake.statusWebhook('wamid.A', 'delivered');
      const { 'x-hub-signature-256': signature, ...unsigned } = signed.headers;
      expect(() => adapter().parseDeliveryReport(webhookRequest({ ...signed, headers: unsigned }))).toThrow(
        /X-Hub-Signature-256 is missing/,
      );
      const sha1 = {
        ...signed,
        headers: { ...signed.headers, 'x-hub-signature-256': signature.replace('sha256=', 'sha1=') },
      };
      expect(() => adapter().parseDeliveryReport(webhookRequest(sha1))).toThrow(WebhookRejectedError);

      const tampered = signed.body.replace('"delivered"', '"read"');
      expect(() =>
        adapter().parseDeliveryReport({
          ...webhookRequest(signed),
          body: JSON.parse(tampered),
          rawBody: Buffer.from(tampered),
        }),
      ).toThrow(/does not match/);
      expect(() => adapter().parseDeliveryReport({ ...webhookRequest(signed), rawBody: undefined })).toThrow(
        WebhookRejectedError,
      );
    });

    it('refuses every report when no app secret is configured', () => {
      expect(() =>
        adapter({ appSecret: undefined }).parseDeliveryReport(webhookRequest(fake.statusWebhook('wamid.A', 'read'))),
      ).toThrow(/WHATSAPP_APP_SECRET/);
    });

    it("receives the fake's timed sent → delivered → read webhooks over HTTP, retried after a non-2xx answer", async () => {
      await fake.close();
      const received: { status: number; reports: unknown }[] = [];
      let answers = 0;
      const receiver = await startFakeHttpServer((request: RecordedRequest) => {
        answers += 1;
        if (answers === 1) return { status: 500, body: 'try again' };
        try {
          // `fake` is the new fake by the time it posts: the adapter is built over its app secret.
          const reports = adapter().parseDeliveryReport({
            url: WEBHOOK_URL,
            headers: request.headers as Record<string, string>,
            body: request.json,
            rawBody: Buffer.from(request.body),
          });
          received.push({ status: 200, reports });
          return { status: 200, body: { success: true } };
        } catch {
          return { status: 401, body: { success: false } };
        }
      });
      fake = await startWhatsAppFake({
        webhookUrl: `${receiver.origin}/api/v1/sms-auth/webhooks/whatsapp`,
        statusDelaysMs: { sent: 10, delivered: 60, read: 120 },
        retryDelayMs: 10,
      });
      try {
        const { messageId } = await adapter().send(MESSAGE);
        await waitFor(() => fake.messages[0].statuses.length === 3);
        await fake.settled();

        // Webhooks may arrive out of order (as Meta's do): the retried `sent` can come after `delivered`.
        expect(received.map(({ reports }) => (reports as { status: string }[])[0].status).sort()).toEqual(
          [DeliveryStatus.Sent, DeliveryStatus.Delivered, DeliveryStatus.Read].sort(),
        );
        expect(fake.webhookAttempts.filter((attempt) => attempt.status === 'sent')).toEqual([
          { messageId, status: 'sent', attempt: 1, responseStatus: 500 },
          { messageId, status: 'sent', attempt: 2, responseStatus: 200 },
        ]);
        expect(receiver.requests[0].headers['x-hub-signature-256']).toMatch(/^sha256=[0-9a-f]{64}$/);
      } finally {
        await receiver.close();
      }
    });

    it('reports a recipient who is not a WhatsApp user as failed 131026, after accepting the send', async () => {
      fake.notWhatsAppUsers(['77001234567']);
      const { messageId } = await adapter().send(MESSAGE);
      await fake.advance(messageId);
      await fake.advance(messageId);

      expect(fake.messages[0].statuses).toEqual(['sent', 'failed']);
      const [report] = adapter().parseDeliveryReport(webhookRequest(fake.statusWebhook(messageId, 'failed', 131026)));
      expect(report).toEqual({
        messageId,
        status: DeliveryStatus.Failed,
        providerStatus: 'failed',
        errorCode: '131026',
      });
    });
  });

  describe('subscription check (hub.challenge)', () => {
    const query = (token: string, mode = 'subscribe', challenge = '1158201444') => ({
      'hub.mode': mode,
      'hub.verify_token': token,
      'hub.challenge': challenge,
    });

    it('echoes the challenge when the verify token is ours', () => {
      expect(adapter().answerSubscription(query(fake.verifyToken))).toBe('1158201444');
    });

    it.each([
      ['a wrong token', () => query('wrong'), {}],
      ['a token that only starts like ours', () => query(fake.verifyToken.slice(0, -1)), {}],
      ['another mode', () => query(fake.verifyToken, 'unsubscribe'), {}],
      ['no challenge', () => ({ 'hub.mode': 'subscribe', 'hub.verify_token': fake.verifyToken }), {}],
      ['a challenge that is markup', () => query(fake.verifyToken, 'subscribe', '<script>'), {}],
      ['no verify token configured', () => query(fake.verifyToken), { verifyToken: undefined }],
    ])('refuses %s', (_case, build, overrides: Partial<WhatsAppOptions>) => {
      expect(() => adapter(overrides).answerSubscription(build())).toThrow(WebhookRejectedError);
    });
  });
});

function signedRequest(secret: string, body: string): WebhookRequest {
  const signature = `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
  return {
    url: WEBHOOK_URL,
    headers: { 'content-type': 'application/json', 'x-hub-signature-256': signature },
    body: JSON.parse(body),
    rawBody: Buffer.from(body),
  };
}

async function waitFor(condition: () => boolean, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
