import { createHash } from 'node:crypto';
import { type FakeReply, type RecordedRequest, startFakeHttpServer } from './fake-http-server';
import type { FakeMessage, FakeVendor } from './fake-vendor';

export type MobizonStatus =
  'NEW' | 'ENQUEUD' | 'ACCEPTD' | 'PDLIVRD' | 'DELIVRD' | 'UNDELIV' | 'REJECTD' | 'DELETED' | 'EXPIRED';
export type MobizonFinalStatus = 'DELIVRD' | 'UNDELIV' | 'REJECTD' | 'DELETED' | 'EXPIRED';

/**
 * Failures the fake can force on every API call. Most are Mobizon's own envelope codes (always HTTP 200):
 * `insufficient_funds` has no documented code of its own, so the fake answers with a validation error (code 1).
 */
export type MobizonFailure =
  'rate_limit' | 'wrong_domain' | 'outage' | 'insufficient_funds' | 'account_blocked' | 'http_outage' | 'malformed';

export interface MobizonFakeOptions {
  apiKey?: string;
  sender?: string;
  webhookSecret?: string;
  /** The domain a code-13 reply names as the account's own. */
  accountDomain?: string;
  balance?: string;
  currency?: string;
}

/** A delivery webhook as Mobizon would POST it. */
export interface MobizonReport {
  payload: Record<string, unknown>;
  body: string;
  contentType: string;
  headers: Record<string, string>;
}

export interface MobizonFake extends FakeVendor {
  provider: 'mobizon';
  /** The URL to give the adapter as `baseUrl` (the origin: Mobizon paths start at `/service`). */
  baseUrl: string;
  apiKey: string;
  sender: string;
  webhookSecret: string;
  /** Makes every call (send, status, balance) answer with this failure until reset with `null`. */
  failWith(failure: MobizonFailure | null): void;
  /** What getownbalance answers; Mobizon sends a string, a number tests the adapter's tolerance. */
  setBalance(balance: string | number, currency?: string | null): void;
  /** Pins a message's status: status queries answer it from now on. */
  setStatus(messageId: string, status: MobizonStatus): void;
  /** Lets a message progress as usual but end in `status` instead of DELIVRD. */
  endWith(messageId: string, status: MobizonFinalStatus): void;
  /** A delivery report signed with the webhook secret. Pass the same `eventId` with a higher `attempt` for a retry. */
  signedReport(
    messageId: string,
    status?: MobizonStatus,
    event?: { eventId?: number; attempt?: number },
  ): MobizonReport;
  /** The same report with a sign made with the wrong secret. */
  forgedReport(messageId: string, status?: MobizonStatus): MobizonReport;
  /**
   * POSTs a signed report of the message's final status to `url`, retrying (same `eventId`, `attempt` + 1)
   * until a 2xx or `maxAttempts`; returns each attempt's HTTP status.
   */
  postDeliveryReport(
    url: string,
    messageId: string,
    options?: { status?: MobizonFinalStatus; maxAttempts?: number },
  ): Promise<number[]>;
}

interface MessageState extends FakeMessage {
  campaignId: string;
  step: number;
  finalStatus: MobizonFinalStatus;
  pinned?: MobizonStatus;
  statusUpdateTs: string;
}

const PROGRESSION: MobizonStatus[] = ['NEW', 'ENQUEUD', 'ACCEPTD'];
const MAX_STATUS_IDS = 100;

/** A faithful imitation of api.mobizon.kz: `/service/<module>/<method>`, query auth, form bodies, `{code,data,message}`. */
export async function startMobizonFake(options: MobizonFakeOptions = {}): Promise<MobizonFake> {
  const apiKey = options.apiKey ?? 'kz0123456789abcdef0123456789abcdef012345';
  const sender = options.sender ?? 'SmsAuth';
  const webhookSecret = options.webhookSecret ?? 'mobizon-webhook-secret';
  const accountDomain = options.accountDomain ?? 'api.mobizon.uz';
  let balance: { balance: string | number; currency: string | null } = {
    balance: options.balance ?? '4043.0656',
    currency: options.currency ?? 'KZT',
  };
  const messages = new Map<string, MessageState>();
  let forcedFailure: MobizonFailure | null = null;
  let failingSends = false;
  let hangingSends = false;
  let nextId = 70000005678;
  let nextEventId = 41;

  const handle = (request: RecordedRequest): FakeReply => {
    const route = /^\/service\/([^/]+)\/([^/]+)\/?$/.exec(request.path);
    if (!route) return envelope(4, null, 'Unknown module');
    if (request.query.get('output') !== 'json') return envelope(6, null, 'Unsupported output format');
    if (request.query.get('api') !== 'v1') return envelope(1, { api: 'Unsupported API version' }, 'Validation error');
    if (request.query.get('apiKey') !== apiKey) return envelope(8, null, 'Authorization failed: wrong API key');
    if (forcedFailure) return failureReply(forcedFailure, accountDomain);
    const params = requestParams(request);
    switch (`${route[1]}/${route[2]}`.toLowerCase()) {
      case 'message/sendsmsmessage':
        if (hangingSends) return { status: 200, hang: true };
        if (failingSends) return failureReply('outage', accountDomain);
        return sendMessage(params);
      case 'message/getsmsstatus':
        return smsStatuses(params);
      case 'user/getownbalance':
        return envelope(0, balance);
      default:
        return envelope(5, null, 'Unknown method');
    }
  };

  const sendMessage = (params: URLSearchParams): FakeReply => {
    const recipient = (params.get('recipient') ?? '').replace(/^\+/, '');
    const text = params.get('text') ?? '';
    const validity = params.get('params[validity]');
    if (!/^\d{10,15}$/.test(recipient))
      return envelope(1, { recipient: 'Recipient number is invalid' }, 'Validation error');
    if (!text) return envelope(1, { text: 'Message text is required' }, 'Validation error');
    if (validity !== null && !(Number(validity) >= 60 && Number(validity) <= 1440)) {
      return envelope(1, { 'params[validity]': 'Must be between 60 and 1440' }, 'Validation error');
    }
    const id = String(nextId++);
    messages.set(id, {
      id,
      to: recipient,
      text,
      campaignId: String(nextId++),
      step: 0,
      finalStatus: 'DELIVRD',
      statusUpdateTs: timestamp(),
    });
    return envelope(0, { campaignId: messages.get(id)!.campaignId, messageId: id, status: 2 });
  };

  /** Answers each known id's current status, then moves it one step along NEW → ENQUEUD → ACCEPTD → final. */
  const smsStatuses = (params: URLSearchParams): FakeReply => {
    const ids = statusIds(params);
    if (ids.length === 0) return envelope(2, null, 'No message ids given');
    if (ids.length > MAX_STATUS_IDS) return envelope(12, { ids: `At most ${MAX_STATUS_IDS} ids` }, 'Limit exceeded');
    const known = ids.map((id) => messages.get(id)).filter((message): message is MessageState => message !== undefined);
    return envelope(
      0,
      known.map((message) => {
        const status = currentStatus(message);
        if (!message.pinned && message.step < PROGRESSION.length) message.step += 1;
        const sent = status !== 'NEW';
        return {
          id: message.id,
          status,
          segNum: '1',
          startSendTs: sent ? message.statusUpdateTs : null,
          statusUpdateTs: sent ? timestamp() : null,
        };
      }),
    );
  };

  const report = (
    messageId: string,
    status: MobizonStatus,
    event: { eventId: number; attempt: number; eventCreateTs: string },
    secret: string,
  ): MobizonReport => {
    const message = messages.get(messageId);
    const payload = {
      eventId: event.eventId,
      eventType: 'sms-delivery-report',
      eventCreateTs: event.eventCreateTs,
      webhookId: 3,
      attempt: event.attempt,
      // Mobizon's webhook docs show integer ids here, unlike the API's strings.
      data: {
        campaignId: Number(message?.campaignId ?? 0),
        messageId: Number(messageId),
        segNum: 1,
        statusUpdateTs: event.eventCreateTs,
        status,
        to: message?.to ?? '',
      },
      sign: createHash('sha1')
        .update(`${event.eventId}|${event.attempt}|${event.eventCreateTs}|${secret}`)
        .digest('hex'),
    };
    return {
      payload,
      body: JSON.stringify(payload),
      contentType: 'application/json',
      headers: { 'content-type': 'application/json' },
    };
  };

  const finalStatusOf = (messageId: string): MobizonFinalStatus => {
    const message = messages.get(messageId);
    const pinned = message?.pinned;
    return pinned && isFinal(pinned) ? pinned : (message?.finalStatus ?? 'DELIVRD');
  };

  const server = await startFakeHttpServer(handle);
  const mustFind = (messageId: string): MessageState => {
    const message = messages.get(messageId);
    if (!message) throw new Error(`The Mobizon fake has no message ${messageId}`);
    return message;
  };

  return {
    provider: 'mobizon',
    server,
    baseUrl: server.origin,
    apiKey,
    sender,
    webhookSecret,
    env: {
      SMS_PROVIDER: 'mobizon',
      MOBIZON_API_KEY: apiKey,
      MOBIZON_SENDER: sender,
      MOBIZON_API_URL: server.origin,
      MOBIZON_WEBHOOK_SECRET: webhookSecret,
    },
    requests: server.requests,
    get messages() {
      return [...messages.values()].map(({ id, to, text }) => ({ id, to, text }));
    },
    failSends: (enabled) => (failingSends = enabled),
    hangSends: (enabled) => (hangingSends = enabled),
    deliver: (messageId) => (mustFind(messageId).pinned = 'DELIVRD'),
    failWith: (failure) => (forcedFailure = failure),
    setStatus: (messageId, status) => (mustFind(messageId).pinned = status),
    endWith: (messageId, status) => (mustFind(messageId).finalStatus = status),
    setBalance: (amount, currency = 'KZT') => (balance = { balance: amount, currency }),
    signedReport: (messageId, status = finalStatusOf(messageId), event = {}) =>
      report(
        messageId,
        status,
        { eventId: event.eventId ?? nextEventId++, attempt: event.attempt ?? 1, eventCreateTs: timestamp() },
        webhookSecret,
      ),
    forgedReport: (messageId, status = finalStatusOf(messageId)) =>
      report(
        messageId,
        status,
        { eventId: nextEventId++, attempt: 1, eventCreateTs: timestamp() },
        `${webhookSecret}-forged`,
      ),
    async postDeliveryReport(url, messageId, { status = finalStatusOf(messageId), maxAttempts = 3 } = {}) {
      const event = { eventId: nextEventId++, eventCreateTs: timestamp() };
      const answers: number[] = [];
      for (let attempt = 1; attempt <= maxAttempts; attempt++) {
        const { body, headers } = report(messageId, status, { ...event, attempt }, webhookSecret);
        const response = await fetch(url, { method: 'POST', headers, body });
        await response.text();
        answers.push(response.status);
        if (response.ok) break;
      }
      return answers;
    },
    close: () => server.close(),
  };

  function currentStatus(message: MessageState): MobizonStatus {
    return message.pinned ?? PROGRESSION[message.step] ?? message.finalStatus;
  }
}

function envelope(code: number, data: unknown, message = ''): FakeReply {
  return { status: 200, body: { code, data, message } };
}

function failureReply(failure: MobizonFailure, accountDomain: string): FakeReply {
  switch (failure) {
    case 'rate_limit':
      return envelope(30, null, 'Too many requests, try again later');
    case 'wrong_domain':
      return envelope(13, accountDomain, 'Your account belongs to another API domain');
    case 'outage':
      return envelope(999, null, 'General service error');
    case 'insufficient_funds':
      return envelope(1, { balance: 'Insufficient funds to send the message' }, 'Validation error');
    case 'account_blocked':
      return envelope(14, null, 'Account is blocked');
    case 'http_outage':
      return { status: 503, body: '<html><body>503 Service Temporarily Unavailable</body></html>' };
    case 'malformed':
      return { status: 200, body: '<html><body>Gateway maintenance</body></html>' };
  }
}

/** Mobizon takes parameters from the query string and the form body alike (GET and POST both work). */
function requestParams(request: RecordedRequest): URLSearchParams {
  const params = new URLSearchParams(request.query);
  request.form?.forEach((value, key) => params.append(key, value));
  return params;
}

/** `ids[0]=1&ids[1]=2` (PHP bracket notation) or `ids=1,2`. */
function statusIds(params: URLSearchParams): string[] {
  const ids: string[] = [];
  params.forEach((value, key) => {
    if (/^ids\[\d*\]$/.test(key)) ids.push(value);
    if (key === 'ids') ids.push(...value.split(','));
  });
  return ids.map((id) => id.trim()).filter(Boolean);
}

function isFinal(status: MobizonStatus): status is MobizonFinalStatus {
  return ['DELIVRD', 'UNDELIV', 'REJECTD', 'DELETED', 'EXPIRED'].includes(status);
}

/** Mobizon's `YYYY-MM-DD HH:MM:SS`. */
function timestamp(): string {
  return new Date().toISOString().slice(0, 19).replace('T', ' ');
}
