import { randomUUID } from 'node:crypto';
import { type FakeReply, type RecordedRequest, startFakeHttpServer } from './fake-http-server';
import type { FakeMessage, FakeVendor } from './fake-vendor';

/** Failures the fake can force on every call (send and statuses). Exact bodies are unconfirmed: `{title, detail}`. */
export type MessaggioFailure = 'insufficient_funds' | 'rate_limit' | 'outage' | 'malformed';

export interface MessaggioFakeOptions {
  login?: string;
  /** The registered sender's "Code for API". */
  sender?: string;
  /** The path token sms-auth is configured with (MESSAGGIO_WEBHOOK_TOKEN, at least 24 characters). */
  webhookToken?: string;
}

/** A delivery report as Messaggio would POST it; it is authenticated only by the URL's path token. */
export interface MessaggioReport {
  payload: Record<string, unknown>;
  body: string;
  contentType: string;
  headers: Record<string, string>;
  pathToken: string;
}

export interface MessaggioFake extends FakeVendor {
  provider: 'messaggio';
  /** The URL to give the adapter as `baseUrl`: the origin plus `/api/v1`. */
  baseUrl: string;
  login: string;
  sender: string;
  webhookToken: string;
  /** Makes every call answer with this failure until reset with `null`. */
  failWith(failure: MessaggioFailure | null): void;
  /** Pins a message's status code: status queries answer it from now on. */
  setStatus(messageId: string, status: number): void;
  /** Lets a message progress as usual (200 → 100) but end in `status` instead of 70. */
  endWith(messageId: string, status: number): void;
  /** The body Messaggio posts for `messageId`, defaulting to its final status. */
  deliveryReport(messageId: string, status?: number): MessaggioReport;
  /** The same report aimed at a guessed path token. */
  forgedReport(messageId: string, status?: number): MessaggioReport;
  /**
   * POSTs the report to `url` (default: the message's `options.dlr_callback_url`), retrying while the answer
   * is not 200, up to `maxAttempts`; returns each attempt's HTTP status.
   */
  postDeliveryReport(
    messageId: string,
    options?: { url?: string; status?: number; maxAttempts?: number },
  ): Promise<number[]>;
}

interface MessageState extends FakeMessage {
  step: number;
  finalStatus: number;
  pinned?: number;
  callbackUrl?: string;
  externalId?: string;
}

const API_PREFIX = '/api/v1';
const PROGRESSION = [200, 100];
const DELIVERED = 70;

/** A faithful imitation of msg.messaggio.com/api/v1: JSON bodies, `Messaggio-Login` auth, per-recipient errors in a 200. */
export async function startMessaggioFake(options: MessaggioFakeOptions = {}): Promise<MessaggioFake> {
  const login = options.login ?? 'project-login-7f3a9c';
  const sender = options.sender ?? 'SMSAUTH_CODE';
  const webhookToken = options.webhookToken ?? 'messaggio-path-token-0123456789abcdef';
  const messages = new Map<string, MessageState>();
  let forcedFailure: MessaggioFailure | null = null;
  let failingSends = false;
  let hangingSends = false;

  const handle = (request: RecordedRequest): FakeReply => {
    if (!request.path.startsWith(`${API_PREFIX}/`)) return problem(404, 'Not Found', `No route ${request.path}`);
    const route = request.path.slice(API_PREFIX.length);
    if (request.method !== 'POST')
      return problem(405, 'Method Not Allowed', `${request.method} ${route} is not supported`);
    if (request.headers['messaggio-login'] !== login)
      return problem(403, 'Forbidden', 'Unknown or missing Messaggio-Login');
    if (forcedFailure) return failureReply(forcedFailure);
    if (!isRecord(request.json)) return problem(400, 'Bad Request', 'The body must be a JSON object');
    switch (route) {
      case '/send':
        if (hangingSends) return { status: 200, hang: true };
        if (failingSends) return failureReply('outage');
        return sendMessage(request.json);
      case '/statuses':
        return statuses(request.json);
      default:
        return problem(404, 'Not Found', `No route ${route}`);
    }
  };

  const sendMessage = (body: Record<string, unknown>): FakeReply => {
    const invalid = sendValidationError(body, sender);
    if (invalid) return problem(422, 'Validation Error', invalid);
    const sms = body.sms as { content: { text: string }[] };
    const sendOptions = isRecord(body.options) ? body.options : {};
    const results = (body.recipients as { phone: string }[]).map(({ phone }) => {
      if (!/^\d{10,15}$/.test(phone)) {
        return {
          recipient: { phone },
          error: { title: 'Invalid phone number', detail: `The phone number ${phone} is not a valid mobile number` },
        };
      }
      const id = randomUUID();
      messages.set(id, {
        id,
        to: phone,
        text: sms.content[0].text,
        step: 0,
        finalStatus: DELIVERED,
        callbackUrl: typeof sendOptions.dlr_callback_url === 'string' ? sendOptions.dlr_callback_url : undefined,
        externalId: typeof sendOptions.external_id === 'string' ? sendOptions.external_id : undefined,
      });
      return { recipient: { phone }, message_id: id };
    });
    return { status: 200, body: { accepted_at: acceptedAt(), messages: results } };
  };

  /** Answers each known id's current status, then moves it one step along 200 → 100 → final. */
  const statuses = (body: Record<string, unknown>): FakeReply => {
    const recipients = Array.isArray(body.recipients) ? body.recipients : [];
    const ids = recipients
      .map((recipient) => (isRecord(recipient) ? recipient.id : undefined))
      .filter((id): id is string => typeof id === 'string');
    if (ids.length === 0) return problem(422, 'Validation Error', 'recipients[].id is required');
    const known = ids.map((id) => messages.get(id)).filter((message): message is MessageState => message !== undefined);
    return {
      status: 200,
      body: {
        statuses: known.map((message) => {
          const status = message.pinned ?? PROGRESSION[message.step] ?? message.finalStatus;
          if (message.pinned === undefined && message.step < PROGRESSION.length) message.step += 1;
          return {
            message_id: message.id,
            type: 'status',
            status: { channel: 'sms', recipient: { phone: message.to }, status },
          };
        }),
      },
    };
  };

  const finalStatusOf = (messageId: string): number => {
    const message = messages.get(messageId);
    return message?.pinned ?? message?.finalStatus ?? DELIVERED;
  };

  const deliveryReport = (messageId: string, status = finalStatusOf(messageId)): MessaggioReport => {
    const payload = {
      message_id: messageId,
      channel: 'sms',
      timestamp: new Date().toISOString(),
      external_id: messages.get(messageId)?.externalId ?? '',
      type: 'status',
      status,
    };
    return {
      payload,
      body: JSON.stringify(payload),
      contentType: 'application/json',
      headers: { 'content-type': 'application/json' },
      pathToken: webhookToken,
    };
  };

  const mustFind = (messageId: string): MessageState => {
    const message = messages.get(messageId);
    if (!message) throw new Error(`The Messaggio fake has no message ${messageId}`);
    return message;
  };

  const server = await startFakeHttpServer(handle);
  const baseUrl = `${server.origin}${API_PREFIX}`;
  return {
    provider: 'messaggio',
    server,
    baseUrl,
    login,
    sender,
    webhookToken,
    env: {
      SMS_PROVIDER: 'messaggio',
      MESSAGGIO_API_KEY: login,
      MESSAGGIO_SENDER: sender,
      MESSAGGIO_API_URL: baseUrl,
      MESSAGGIO_WEBHOOK_TOKEN: webhookToken,
    },
    requests: server.requests,
    get messages() {
      return [...messages.values()].map(({ id, to, text }) => ({ id, to, text }));
    },
    failSends: (enabled) => (failingSends = enabled),
    hangSends: (enabled) => (hangingSends = enabled),
    deliver: (messageId) => (mustFind(messageId).pinned = DELIVERED),
    failWith: (failure) => (forcedFailure = failure),
    setStatus: (messageId, status) => (mustFind(messageId).pinned = status),
    endWith: (messageId, status) => (mustFind(messageId).finalStatus = status),
    deliveryReport,
    forgedReport: (messageId, status) => ({
      ...deliveryReport(messageId, status),
      pathToken: `guessed-${webhookToken.slice(8)}`,
    }),
    async postDeliveryReport(messageId, { url = mustFind(messageId).callbackUrl, status, maxAttempts = 3 } = {}) {
      if (!url) throw new Error(`Message ${messageId} was sent without options.dlr_callback_url; pass a url`);
      const { body, headers } = deliveryReport(messageId, status);
      const answers: number[] = [];
      for (let attempt = 1; attempt <= maxAttempts; attempt++) {
        const response = await fetch(url, { method: 'POST', headers, body });
        await response.text();
        answers.push(response.status);
        if (response.status === 200) break;
      }
      return answers;
    },
    close: () => server.close(),
  };
}

/** What the real API checks before accepting a send; a message naming the first bad field, or null. */
function sendValidationError(body: Record<string, unknown>, registeredSender: string): string | null {
  const { recipients, channels, sms } = body;
  if (!Array.isArray(recipients) || recipients.length === 0) return 'recipients must be a non-empty array';
  if (!recipients.every((recipient) => isRecord(recipient) && typeof recipient.phone === 'string'))
    return 'recipients[].phone must be a string';
  if (!Array.isArray(channels) || !channels.includes('sms')) return 'channels must include "sms"';
  if (!isRecord(sms) || typeof sms.from !== 'string' || !sms.from) return 'sms.from is required';
  if (sms.from !== registeredSender) return `sms.from: sender ${sms.from} is not registered`;
  const content = Array.isArray(sms.content) ? sms.content[0] : undefined;
  if (!isRecord(content) || content.type !== 'text' || typeof content.text !== 'string' || !content.text)
    return 'sms.content[0].text is required';
  return null;
}

function failureReply(failure: MessaggioFailure): FakeReply {
  switch (failure) {
    case 'insufficient_funds':
      return problem(403, 'Insufficient funds', 'The project balance is too low to send this message');
    case 'rate_limit':
      return problem(429, 'Too Many Requests', 'Request rate limit exceeded');
    case 'outage':
      return problem(500, 'Internal Server Error', 'Please retry later');
    case 'malformed':
      return { status: 200, body: '<html><body>Bad gateway</body></html>' };
  }
}

function problem(status: number, title: string, detail: string): FakeReply {
  return { status, body: { title, detail } };
}

/** As observed from the live API: dashes in the time part (`2026-08-14T10-51-42Z`). */
function acceptedAt(): string {
  return new Date()
    .toISOString()
    .replace(/\.\d+Z$/, 'Z')
    .replace(/:/g, '-');
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
