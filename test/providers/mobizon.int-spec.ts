import { DeliveryStatus } from '../../libs/sms/src/delivery-status';
import { type MobizonOptions, MobizonSmsProvider } from '../../libs/sms/src/providers/mobizon/mobizon.sms-provider';
import { WebhookRejectedError } from '../../libs/sms/src/sms-provider.error';
import type { WebhookRequest } from '../../libs/sms/src/sms-provider.interface';
import { type FakeHttpServer, startFakeHttpServer } from '../fakes/fake-http-server';
import {
  type MobizonFailure,
  type MobizonFake,
  type MobizonReport,
  type MobizonStatus,
  startMobizonFake,
} from '../fakes/mobizon.fake';
import { freePort } from '../support/server-process';
import { expectNoCredentials, failureOf } from './provider-assertions';

/** The Mobizon adapter over real HTTP against the faithful fake (providers.md §1). */

const WEBHOOK_URL = 'https://sms-auth.example/api/v1/sms-auth/webhooks/mobizon';

let fake: MobizonFake;

function adapter(overrides: Partial<MobizonOptions> = {}): MobizonSmsProvider {
  return new MobizonSmsProvider({
    baseUrl: fake.baseUrl,
    timeoutMs: 5000,
    apiKey: fake.apiKey,
    sender: fake.sender,
    webhookSecret: fake.webhookSecret,
    ...overrides,
  });
}

function webhook(report: MobizonReport): WebhookRequest {
  return { url: WEBHOOK_URL, headers: report.headers, body: JSON.parse(report.body) };
}

async function sendOne(to = '+77001234567'): Promise<string> {
  const { messageId } = await adapter().send({ to, text: 'Your code: 123456' });
  return messageId;
}

beforeAll(async () => {
  fake = await startMobizonFake();
});

afterAll(() => fake.close());

beforeEach(() => {
  fake.requests.length = 0;
  fake.failWith(null);
  fake.failSends(false);
  fake.hangSends(false);
});

describe('send', () => {
  it('POSTs a form body to /service/message/sendsmsmessage with the key in the query and the recipient as digits', async () => {
    const result = await adapter().send({ to: '+77001234567', text: 'Your code: 123456' });

    expect(result).toEqual({ messageId: expect.stringMatching(/^\d+$/), status: DeliveryStatus.Queued });
    expect(fake.requests).toHaveLength(1);
    const [request] = fake.requests;
    expect(request.method).toBe('POST');
    expect(request.path).toBe('/service/message/sendsmsmessage');
    expect(Object.fromEntries(request.query)).toEqual({ output: 'json', api: 'v1', apiKey: fake.apiKey });
    expect(request.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(request.body).toBe('recipient=77001234567&text=Your+code%3A+123456&from=SmsAuth');
    expect(fake.messages).toContainEqual({ id: result.messageId, to: '77001234567', text: 'Your code: 123456' });
  });

  it('leaves `from` out when no sender is configured, so Mobizon uses the account default', async () => {
    await adapter({ sender: undefined }).send({ to: '+77001234567', text: 'Your code: 123456' });

    expect([...fake.requests[0].form!.keys()]).toEqual(['recipient', 'text']);
  });

  it('accepts the integer ids the docs describe, not only the strings the live API sends', async () => {
    const server = await startFakeHttpServer(() => ({
      status: 200,
      body: { code: 0, data: { campaignId: 1, messageId: 70000005678, status: 2 }, message: '' },
    }));
    try {
      const result = await adapter({ baseUrl: server.origin }).send({ to: '+77001234567', text: 'Your code: 123456' });
      expect(result.messageId).toBe('70000005678');
    } finally {
      await server.close();
    }
  });
});

describe('error mapping', () => {
  it('maps a wrong API key (code 8) to rejected without quoting the key', async () => {
    const wrongKey = 'kzWRONGKEY0123456789abcdef0123456789abcd';
    const error = await failureOf(
      adapter({ apiKey: wrongKey }).send({ to: '+77001234567', text: 'Your code: 123456' }),
    );

    expect(error).toMatchObject({ kind: 'rejected', provider: 'mobizon', providerCode: '8', definite: true });
    expectNoCredentials(error, wrongKey);
  });

  it('maps an invalid recipient (code 1) to rejected, naming the field', async () => {
    const error = await failureOf(adapter().send({ to: '+7700', text: 'Your code: 123456' }));

    expect(error).toMatchObject({ kind: 'rejected', providerCode: '1', definite: true });
    expect(error.message).toContain('recipient');
    expectNoCredentials(error, fake.apiKey);
  });

  it('maps a wrong API domain (code 13) to rejected, naming the account domain', async () => {
    fake.failWith('wrong_domain');
    const error = await failureOf(adapter().send({ to: '+77001234567', text: 'Your code: 123456' }));

    expect(error).toMatchObject({ kind: 'rejected', providerCode: '13', definite: true });
    expect(error.message).toContain('api.mobizon.uz');
    expectNoCredentials(error, fake.apiKey);
  });

  it.each<[MobizonFailure, 'rejected' | 'unavailable', string, boolean]>([
    ['insufficient_funds', 'rejected', '1', true],
    ['account_blocked', 'rejected', '14', true],
    ['rate_limit', 'unavailable', '30', true],
    ['outage', 'unavailable', '999', true],
    ['http_outage', 'unavailable', 'http_503', true],
    ['malformed', 'unavailable', 'malformed_response', false],
  ])('maps %s to %s with provider code %s (definite: %s)', async (failure, kind, providerCode, definite) => {
    fake.failWith(failure);
    const error = await failureOf(adapter().send({ to: '+77001234567', text: 'Your code: 123456' }));

    expect(error).toMatchObject({ kind, provider: 'mobizon', providerCode, definite });
    expectNoCredentials(error, fake.apiKey);
  });

  it('maps the outage switch of the e2e interface (HTTP 200, code 999) to unavailable', async () => {
    fake.failSends(true);
    const error = await failureOf(adapter().send({ to: '+77001234567', text: 'Your code: 123456' }));

    expect(error).toMatchObject({ kind: 'unavailable', providerCode: '999', definite: true });
  });

  it('gives up on a vendor that does not answer within the timeout', async () => {
    fake.hangSends(true);
    const error = await failureOf(adapter({ timeoutMs: 300 }).send({ to: '+77001234567', text: 'Your code: 123456' }));

    expect(error).toMatchObject({ kind: 'unavailable', providerCode: 'timeout', definite: true });
  });

  it('reports a refused connection as connection_failed', async () => {
    const closedPort = await freePort();
    const error = await failureOf(
      adapter({ baseUrl: `http://127.0.0.1:${closedPort}` }).send({ to: '+77001234567', text: 'Your code: 123456' }),
    );

    expect(error).toMatchObject({ kind: 'unavailable', providerCode: 'connection_failed', definite: true });
    expectNoCredentials(error, fake.apiKey);
  });
});

describe('fetchStatus', () => {
  it('POSTs the id in PHP bracket notation to /service/message/getsmsstatus', async () => {
    const messageId = await sendOne();
    fake.requests.length = 0;

    await adapter().fetchStatus(messageId);

    const [request] = fake.requests;
    expect(request.method).toBe('POST');
    expect(request.path).toBe('/service/message/getsmsstatus');
    expect(Object.fromEntries(request.query)).toEqual({ output: 'json', api: 'v1', apiKey: fake.apiKey });
    expect(request.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(request.body).toBe(`ids%5B0%5D=${messageId}`);
  });

  it('follows a message from NEW to DELIVRD', async () => {
    const messageId = await sendOne();
    const seen = [];
    for (let query = 0; query < 4; query++) seen.push(await adapter().fetchStatus(messageId));

    expect(seen.map(({ providerStatus, status }) => [providerStatus, status])).toEqual([
      ['NEW', DeliveryStatus.Queued],
      ['ENQUEUD', DeliveryStatus.Queued],
      ['ACCEPTD', DeliveryStatus.Sent],
      ['DELIVRD', DeliveryStatus.Delivered],
    ]);
  });

  it.each<[MobizonStatus, DeliveryStatus]>([
    ['NEW', DeliveryStatus.Queued],
    ['ENQUEUD', DeliveryStatus.Queued],
    ['ACCEPTD', DeliveryStatus.Sent],
    ['PDLIVRD', DeliveryStatus.Sent],
    ['DELIVRD', DeliveryStatus.Delivered],
    ['UNDELIV', DeliveryStatus.Failed],
    ['REJECTD', DeliveryStatus.Failed],
    ['DELETED', DeliveryStatus.Failed],
    ['EXPIRED', DeliveryStatus.Expired],
  ])('maps %s to %s', async (providerStatus, status) => {
    const messageId = await sendOne();
    fake.setStatus(messageId, providerStatus);

    await expect(adapter().fetchStatus(messageId)).resolves.toEqual({
      messageId,
      status,
      providerStatus,
      errorCode: null,
    });
  });

  it('reports the final delivered state after deliver()', async () => {
    const messageId = await sendOne();
    fake.deliver(messageId);

    await expect(adapter().fetchStatus(messageId)).resolves.toMatchObject({
      status: DeliveryStatus.Delivered,
      providerStatus: 'DELIVRD',
    });
  });

  it('refuses an id Mobizon leaves out of its answer', async () => {
    const error = await failureOf(adapter().fetchStatus('70009999999'));

    expect(error).toMatchObject({ kind: 'rejected', providerCode: 'not_found' });
  });

  it('maps a rate-limited status query to unavailable', async () => {
    const messageId = await sendOne();
    fake.failWith('rate_limit');

    await expect(adapter().fetchStatus(messageId)).rejects.toMatchObject({ kind: 'unavailable', providerCode: '30' });
  });
});

describe('fetchBalance', () => {
  afterEach(() => fake.setBalance('4043.0656', 'KZT'));

  it('reads /service/user/getownbalance and keeps the balance as the unrounded string', async () => {
    await expect(adapter().fetchBalance()).resolves.toEqual({ balance: '4043.0656', currency: 'KZT' });

    const [request] = fake.requests;
    expect(request.method).toBe('POST');
    expect(request.path).toBe('/service/user/getownbalance');
    expect(Object.fromEntries(request.query)).toEqual({ output: 'json', api: 'v1', apiKey: fake.apiKey });
  });

  it('keeps trailing zeros, and turns a numeric balance into a string', async () => {
    fake.setBalance('0.1000', 'UZS');
    await expect(adapter().fetchBalance()).resolves.toEqual({ balance: '0.1000', currency: 'UZS' });

    fake.setBalance(12.5, null);
    await expect(adapter().fetchBalance()).resolves.toEqual({ balance: '12.5', currency: null });
  });

  it('maps a wrong key to rejected', async () => {
    await expect(adapter({ apiKey: 'kzWRONGKEY0123456789abcdef0123456789abcd' }).fetchBalance()).rejects.toMatchObject({
      kind: 'rejected',
      providerCode: '8',
    });
  });
});

describe('parseDeliveryReport', () => {
  it('accepts a correctly signed report and returns its delivery state', async () => {
    const messageId = await sendOne();

    expect(adapter().parseDeliveryReport(webhook(fake.signedReport(messageId, 'DELIVRD')))).toEqual([
      { messageId, status: DeliveryStatus.Delivered, providerStatus: 'DELIVRD', errorCode: null },
    ]);
  });

  it.each<[MobizonStatus, DeliveryStatus]>([
    ['UNDELIV', DeliveryStatus.Failed],
    ['REJECTD', DeliveryStatus.Failed],
    ['EXPIRED', DeliveryStatus.Expired],
  ])('maps a %s report to %s', async (providerStatus, status) => {
    const messageId = await sendOne();

    expect(adapter().parseDeliveryReport(webhook(fake.signedReport(messageId, providerStatus)))).toEqual([
      { messageId, status, providerStatus, errorCode: null },
    ]);
  });

  it('accepts a retry: same eventId, next attempt, new sign', async () => {
    const messageId = await sendOne();
    const retry = fake.signedReport(messageId, 'DELIVRD', { eventId: 41, attempt: 2 });

    expect(adapter().parseDeliveryReport(webhook(retry))).toEqual([
      expect.objectContaining({ messageId, status: DeliveryStatus.Delivered }),
    ]);
  });

  it('refuses a report signed with another secret', async () => {
    const messageId = await sendOne();

    expect(() => adapter().parseDeliveryReport(webhook(fake.forgedReport(messageId)))).toThrow(WebhookRejectedError);
  });

  it('refuses a report whose signed fields were changed', async () => {
    const messageId = await sendOne();
    const request = webhook(fake.signedReport(messageId, 'DELIVRD'));
    request.body.attempt = 7;

    expect(() => adapter().parseDeliveryReport(request)).toThrow(WebhookRejectedError);
  });

  it('refuses a report without a sign', async () => {
    const messageId = await sendOne();
    const request = webhook(fake.signedReport(messageId, 'DELIVRD'));
    delete request.body.sign;

    expect(() => adapter().parseDeliveryReport(request)).toThrow(WebhookRejectedError);
  });

  it('refuses every report when no webhook secret is configured', async () => {
    const messageId = await sendOne();

    expect(() =>
      adapter({ webhookSecret: undefined }).parseDeliveryReport(webhook(fake.signedReport(messageId, 'DELIVRD'))),
    ).toThrow(WebhookRejectedError);
  });

  it('ignores events other than SMS delivery reports', async () => {
    const messageId = await sendOne();
    const request = webhook(fake.signedReport(messageId, 'DELIVRD'));
    request.body.eventType = 'some-other-event';

    expect(adapter().parseDeliveryReport(request)).toEqual([]);
  });

  describe('posted by the fake', () => {
    let receiver: FakeHttpServer;
    let answers: number[];

    beforeAll(async () => {
      receiver = await startFakeHttpServer(() => ({ status: answers.shift() ?? 200 }));
    });

    afterAll(() => receiver.close());

    it('retries a refused report with the same eventId and the next attempt, each correctly signed', async () => {
      const messageId = await sendOne();
      fake.endWith(messageId, 'UNDELIV');
      answers = [500];

      await expect(fake.postDeliveryReport(`${receiver.origin}/webhooks/mobizon`, messageId)).resolves.toEqual([
        500, 200,
      ]);

      const bodies = receiver.requests.map((request) => request.json);
      expect(bodies.map(({ eventId, attempt }) => [eventId, attempt])).toEqual([
        [bodies[0].eventId, 1],
        [bodies[0].eventId, 2],
      ]);
      for (const body of bodies) {
        expect(adapter().parseDeliveryReport({ url: WEBHOOK_URL, headers: {}, body })).toEqual([
          { messageId, status: DeliveryStatus.Failed, providerStatus: 'UNDELIV', errorCode: null },
        ]);
      }
    });
  });
});
