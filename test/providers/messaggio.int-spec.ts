import { DeliveryStatus } from '../../libs/sms/src/delivery-status';
import {
  type MessaggioOptions,
  MessaggioSmsProvider,
} from '../../libs/sms/src/providers/messaggio/messaggio.sms-provider';
import { WebhookRejectedError } from '../../libs/sms/src/sms-provider.error';
import type { WebhookRequest } from '../../libs/sms/src/sms-provider.interface';
import { type FakeHttpServer, startFakeHttpServer } from '../fakes/fake-http-server';
import {
  type MessaggioFailure,
  type MessaggioFake,
  type MessaggioReport,
  startMessaggioFake,
} from '../fakes/messaggio.fake';
import { freePort } from '../support/server-process';
import { expectNoCredentials, failureOf } from './provider-assertions';

/** The Messaggio adapter over real HTTP against the faithful fake (providers.md §2). */

const WEBHOOK_URL = 'https://sms-auth.example/api/v1/sms-auth/webhooks/messaggio';

let fake: MessaggioFake;

function adapter(overrides: Partial<MessaggioOptions> = {}): MessaggioSmsProvider {
  return new MessaggioSmsProvider({
    baseUrl: fake.baseUrl,
    timeoutMs: 5000,
    login: fake.login,
    sender: fake.sender,
    webhookToken: fake.webhookToken,
    ...overrides,
  });
}

function webhook(report: MessaggioReport, pathToken = report.pathToken): WebhookRequest {
  return { url: `${WEBHOOK_URL}/${pathToken}`, headers: report.headers, body: JSON.parse(report.body), pathToken };
}

async function sendOne(to = '+37360123456'): Promise<string> {
  const { messageId } = await adapter().send({ to, text: 'Your code: 123456' });
  return messageId;
}

beforeAll(async () => {
  fake = await startMessaggioFake();
});

afterAll(() => fake.close());

beforeEach(() => {
  fake.requests.length = 0;
  fake.failWith(null);
  fake.failSends(false);
  fake.hangSends(false);
});

describe('send', () => {
  it('POSTs JSON to /api/v1/send with the Messaggio-Login header and the phone as digits', async () => {
    const result = await adapter().send({ to: '+37360123456', text: 'Your code: 123456' });

    expect(result).toEqual({ messageId: expect.stringMatching(/^[0-9a-f-]{36}$/), status: DeliveryStatus.Queued });
    expect(fake.requests).toHaveLength(1);
    const [request] = fake.requests;
    expect(request.method).toBe('POST');
    expect(request.path).toBe('/api/v1/send');
    expect([...request.query.keys()]).toEqual([]);
    expect(request.headers['messaggio-login']).toBe(fake.login);
    expect(request.headers['content-type']).toBe('application/json');
    expect(request.headers.accept).toBe('application/json');
    expect(request.json).toEqual({
      recipients: [{ phone: '37360123456' }],
      channels: ['sms'],
      sms: { from: fake.sender, content: [{ type: 'text', text: 'Your code: 123456' }] },
    });
    expect(fake.messages).toContainEqual({ id: result.messageId, to: '37360123456', text: 'Your code: 123456' });
  });

  it('asks for delivery reports at the callback URL when one is configured', async () => {
    const callbackUrl = `${WEBHOOK_URL}/${fake.webhookToken}`;
    await adapter({ callbackUrl }).send({ to: '+37360123456', text: 'Your code: 123456' });

    expect(fake.requests[0].json.options).toEqual({ dlr_callback_url: callbackUrl });
  });
});

describe('error mapping', () => {
  it('maps a refused recipient inside an HTTP 200 to rejected, coded by the error title', async () => {
    const error = await failureOf(adapter().send({ to: '+3736', text: 'Your code: 123456' }));

    expect(error).toMatchObject({
      kind: 'rejected',
      provider: 'messaggio',
      providerCode: 'Invalid phone number',
      definite: true,
    });
    expect(error.message).toContain('not a valid mobile number');
    expectNoCredentials(error, fake.login);
  });

  it('maps an unknown project login (403) to rejected without quoting the login', async () => {
    const wrongLogin = 'wrong-project-login-42';
    const error = await failureOf(
      adapter({ login: wrongLogin }).send({ to: '+37360123456', text: 'Your code: 123456' }),
    );

    expect(error).toMatchObject({ kind: 'rejected', providerCode: 'Forbidden', definite: true });
    expectNoCredentials(error, wrongLogin);
  });

  it('maps an unregistered sender (422) to rejected', async () => {
    const error = await failureOf(
      adapter({ sender: 'NOT_REGISTERED' }).send({ to: '+37360123456', text: 'Your code: 123456' }),
    );

    expect(error).toMatchObject({ kind: 'rejected', providerCode: 'Validation Error', definite: true });
    expect(error.message).toContain('sms.from');
    expectNoCredentials(error, fake.login);
  });

  it.each<[MessaggioFailure, 'rejected' | 'unavailable', string, boolean]>([
    ['insufficient_funds', 'rejected', 'Insufficient funds', true],
    ['rate_limit', 'unavailable', 'Too Many Requests', true],
    ['outage', 'unavailable', 'Internal Server Error', true],
    ['malformed', 'unavailable', 'malformed_response', false],
  ])('maps %s to %s with provider code "%s" (definite: %s)', async (failure, kind, providerCode, definite) => {
    fake.failWith(failure);
    const error = await failureOf(adapter().send({ to: '+37360123456', text: 'Your code: 123456' }));

    expect(error).toMatchObject({ kind, provider: 'messaggio', providerCode, definite });
    expectNoCredentials(error, fake.login);
  });

  it('maps the outage switch of the e2e interface (HTTP 500) to unavailable', async () => {
    fake.failSends(true);
    const error = await failureOf(adapter().send({ to: '+37360123456', text: 'Your code: 123456' }));

    expect(error).toMatchObject({ kind: 'unavailable', providerCode: 'Internal Server Error', definite: true });
  });

  it('falls back to the HTTP status as provider code when the error body is not JSON', async () => {
    const server = await startFakeHttpServer(() => ({ status: 502, body: '<html>Bad Gateway</html>' }));
    try {
      const error = await failureOf(
        adapter({ baseUrl: server.origin }).send({ to: '+37360123456', text: 'Your code: 123456' }),
      );
      expect(error).toMatchObject({ kind: 'unavailable', providerCode: 'http_502', definite: true });
    } finally {
      await server.close();
    }
  });

  it('gives up on a vendor that does not answer within the timeout', async () => {
    fake.hangSends(true);
    const error = await failureOf(adapter({ timeoutMs: 300 }).send({ to: '+37360123456', text: 'Your code: 123456' }));

    expect(error).toMatchObject({ kind: 'unavailable', providerCode: 'timeout', definite: true });
  });

  it('reports a refused connection as connection_failed', async () => {
    const closedPort = await freePort();
    const error = await failureOf(
      adapter({ baseUrl: `http://127.0.0.1:${closedPort}/api/v1` }).send({
        to: '+37360123456',
        text: 'Your code: 123456',
      }),
    );

    expect(error).toMatchObject({ kind: 'unavailable', providerCode: 'connection_failed', definite: true });
  });
});

describe('fetchStatus', () => {
  it('POSTs the message id to /api/v1/statuses with the login header', async () => {
    const messageId = await sendOne();
    fake.requests.length = 0;

    await adapter().fetchStatus(messageId);

    const [request] = fake.requests;
    expect(request.method).toBe('POST');
    expect(request.path).toBe('/api/v1/statuses');
    expect(request.headers['messaggio-login']).toBe(fake.login);
    expect(request.headers['content-type']).toBe('application/json');
    expect(request.json).toEqual({ recipients: [{ id: messageId }], channels: ['sms'], sms: [{ from: fake.sender }] });
  });

  it('follows a message from accepted (200) through handed over (100) to delivered (70)', async () => {
    const messageId = await sendOne();
    const seen = [];
    for (let query = 0; query < 3; query++) seen.push(await adapter().fetchStatus(messageId));

    expect(seen.map(({ providerStatus, status }) => [providerStatus, status])).toEqual([
      ['200', DeliveryStatus.Queued],
      ['100', DeliveryStatus.Sent],
      ['70', DeliveryStatus.Delivered],
    ]);
  });

  it.each<[number, DeliveryStatus]>([
    [200, DeliveryStatus.Queued],
    [100, DeliveryStatus.Sent],
    [70, DeliveryStatus.Delivered],
    [69, DeliveryStatus.Delivered],
    [67, DeliveryStatus.Delivered],
    [60, DeliveryStatus.Failed],
    [98, DeliveryStatus.Failed],
    [97, DeliveryStatus.Failed],
    [94, DeliveryStatus.Failed],
    [91, DeliveryStatus.Failed],
    [89, DeliveryStatus.Failed],
    [198, DeliveryStatus.Failed],
    [199, DeliveryStatus.Failed],
    [196, DeliveryStatus.Failed],
    [96, DeliveryStatus.Failed],
    [95, DeliveryStatus.Failed],
    [92, DeliveryStatus.Failed],
    [90, DeliveryStatus.Failed],
    [87, DeliveryStatus.Failed],
    [85, DeliveryStatus.Failed],
    [68, DeliveryStatus.Failed],
    [65, DeliveryStatus.Failed],
    [42, DeliveryStatus.Unknown],
  ])('maps status %i to %s', async (code, status) => {
    const messageId = await sendOne();
    fake.setStatus(messageId, code);

    await expect(adapter().fetchStatus(messageId)).resolves.toEqual({
      messageId,
      status,
      providerStatus: String(code),
      errorCode: null,
    });
  });

  it('reports the final delivered state after deliver()', async () => {
    const messageId = await sendOne();
    fake.deliver(messageId);

    await expect(adapter().fetchStatus(messageId)).resolves.toMatchObject({
      status: DeliveryStatus.Delivered,
      providerStatus: '70',
    });
  });

  it('refuses an id Messaggio does not report', async () => {
    const error = await failureOf(adapter().fetchStatus('00000000-0000-4000-8000-000000000000'));

    expect(error).toMatchObject({ kind: 'rejected', providerCode: 'not_found' });
  });

  it('maps a rate-limited status query to unavailable', async () => {
    const messageId = await sendOne();
    fake.failWith('rate_limit');

    await expect(adapter().fetchStatus(messageId)).rejects.toMatchObject({
      kind: 'unavailable',
      providerCode: 'Too Many Requests',
    });
  });
});

describe('balance', () => {
  it('is not offered: Messaggio has no balance endpoint', () => {
    expect('fetchBalance' in adapter()).toBe(false);
  });
});

describe('parseDeliveryReport', () => {
  it('accepts a report at the configured path token', async () => {
    const messageId = await sendOne();

    expect(adapter().parseDeliveryReport(webhook(fake.deliveryReport(messageId, 70)))).toEqual([
      { messageId, status: DeliveryStatus.Delivered, providerStatus: '70', errorCode: null },
    ]);
  });

  it('maps a failed delivery report', async () => {
    const messageId = await sendOne();

    expect(adapter().parseDeliveryReport(webhook(fake.deliveryReport(messageId, 60)))).toEqual([
      { messageId, status: DeliveryStatus.Failed, providerStatus: '60', errorCode: null },
    ]);
  });

  it('refuses a report at a wrong path token', async () => {
    const messageId = await sendOne();

    expect(() => adapter().parseDeliveryReport(webhook(fake.forgedReport(messageId)))).toThrow(WebhookRejectedError);
    expect(() =>
      adapter().parseDeliveryReport(webhook(fake.deliveryReport(messageId), `${fake.webhookToken}x`)),
    ).toThrow(WebhookRejectedError);
  });

  it('refuses a report without a path token', async () => {
    const messageId = await sendOne();

    const request = { ...webhook(fake.deliveryReport(messageId)), url: WEBHOOK_URL, pathToken: undefined };

    expect(() => adapter().parseDeliveryReport(request)).toThrow(WebhookRejectedError);
  });

  it('refuses every report when no webhook token is configured', async () => {
    const messageId = await sendOne();

    expect(() =>
      adapter({ webhookToken: undefined }).parseDeliveryReport(webhook(fake.deliveryReport(messageId))),
    ).toThrow(WebhookRejectedError);
  });

  it('ignores a body that is not a status event', async () => {
    const messageId = await sendOne();
    const request = webhook(fake.deliveryReport(messageId));
    request.body.type = 'inbound';

    expect(adapter().parseDeliveryReport(request)).toEqual([]);
  });

  describe('posted by the fake', () => {
    let receiver: FakeHttpServer;
    let answers: number[];

    beforeAll(async () => {
      receiver = await startFakeHttpServer(() => ({ status: answers.shift() ?? 200 }));
    });

    afterAll(() => receiver.close());

    it('posts to the message’s dlr_callback_url and retries while the answer is not 200', async () => {
      const callbackUrl = `${receiver.origin}/webhooks/messaggio/${fake.webhookToken}`;
      const { messageId } = await adapter({ callbackUrl }).send({ to: '+37360123456', text: 'Your code: 123456' });
      fake.endWith(messageId, 60);
      answers = [500];

      await expect(fake.postDeliveryReport(messageId)).resolves.toEqual([500, 200]);

      expect(receiver.requests.map((request) => request.path)).toEqual([
        `/webhooks/messaggio/${fake.webhookToken}`,
        `/webhooks/messaggio/${fake.webhookToken}`,
      ]);
      const pathToken = receiver.requests[0].path.split('/').pop();
      expect(
        adapter().parseDeliveryReport({ url: callbackUrl, headers: {}, body: receiver.requests[1].json, pathToken }),
      ).toEqual([{ messageId, status: DeliveryStatus.Failed, providerStatus: '60', errorCode: null }]);
    });
  });
});
