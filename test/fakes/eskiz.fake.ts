import { randomBytes, randomUUID } from 'node:crypto';
import { type FakeReply, type RecordedRequest, startFakeHttpServer } from './fake-http-server';
import type { FakeMessage, FakeVendor } from './fake-vendor';

export interface EskizFakeOptions {
  email?: string;
  password?: string;
  sender?: string;
  /** What `/user/get-limit` answers (a number, as on the wire). */
  balance?: number;
  /** The approved templates; a text matching none is refused. Unset: every text is approved. */
  templates?: Array<string | RegExp>;
}

export interface EskizFake extends FakeVendor {
  provider: 'eskiz';
  /** Every token issued so far is now stale (401), as when a JWT expires. */
  expireTokens(): void;
  /** Even freshly issued tokens get 401, so a retry after a new login fails too. */
  rejectEveryToken(enabled: boolean): void;
  /** Sends are refused for lack of funds. */
  insufficientFunds(enabled: boolean): void;
  /** Every call but the login answers HTTP 429. */
  rateLimit(enabled: boolean): void;
  /** Sends answer HTTP 200 with a body that is not JSON. */
  malformedSends(enabled: boolean): void;
  /** Sets the raw status word `status_by_id` returns for this message. */
  setStatus(messageId: string, status: string): void;
}

const PREFIX = '/api';

/**
 * Eskiz as providers.md §5 describes it, under the `/api` prefix of its base URL. The login accepts
 * multipart/form-data, form and JSON bodies. Error bodies are UNCONFIRMED: this fake answers Laravel-style
 * `{message}` (plus `errors` on validation), which the adapter only reads for its text.
 */
export async function startEskizFake(options: EskizFakeOptions = {}): Promise<EskizFake> {
  const email = options.email ?? 'sms@example.uz';
  const password = options.password ?? 'eskiz-secret';
  const sender = options.sender ?? '4546';
  const messages: FakeMessage[] = [];
  const statuses = new Map<string, string>();
  const liveTokens = new Set<string>();
  const switches = {
    fail: false,
    hang: false,
    rejectEveryToken: false,
    insufficientFunds: false,
    rateLimit: false,
    malformed: false,
  };

  const isApproved = (text: string): boolean =>
    !options.templates ||
    options.templates.some((template) => (typeof template === 'string' ? template === text : template.test(text)));

  const logIn = (fields: Record<string, string>): FakeReply => {
    if (fields.email !== email || fields.password !== password)
      return { status: 401, body: { message: 'Incorrect email or password' } };
    const token = jwtLikeToken(email);
    liveTokens.add(token);
    return { status: 200, body: { message: 'token_generated', data: { token }, token_type: 'bearer' } };
  };

  const sendSms = (fields: Record<string, string>): FakeReply => {
    if (switches.hang) return { status: 200, hang: true };
    if (switches.fail) return { status: 500, body: { message: 'Server Error' } };
    if (switches.malformed) return { status: 200, body: '<html>502 Bad Gateway</html>' };
    const { mobile_phone: to = '', message: text = '', from = '' } = fields;
    if (!/^998\d{9}$/.test(to)) {
      const reason = 'The mobile phone format is invalid.';
      return { status: 422, body: { message: reason, errors: { mobile_phone: [reason] } } };
    }
    if (!text || !from) return { status: 422, body: { message: 'The message and from fields are required.' } };
    if (!isApproved(text))
      return { status: 400, body: { status: 'error', message: 'This text matches no approved template' } };
    if (switches.insufficientFunds) return { status: 400, body: { status: 'error', message: 'Insufficient funds' } };
    const id = randomUUID();
    messages.push({ id, to, text });
    statuses.set(id, 'waiting');
    return { status: 200, body: { id, message: 'Waiting for SMS provider', status: 'waiting' } };
  };

  const smsStatus = (id: string): FakeReply => {
    const status = statuses.get(id);
    if (status === undefined) return { status: 404, body: { status: 'error', message: 'SMS not found' } };
    return { status: 200, body: { status: 'success', data: { id, status } } };
  };

  const server = await startFakeHttpServer((request) => {
    const path = request.path.startsWith(`${PREFIX}/`) ? request.path.slice(PREFIX.length) : null;
    if (request.method === 'POST' && path === '/auth/login') return logIn(requestFields(request));
    if (!hasLiveToken(request)) return { status: 401, body: { message: 'Unauthenticated.' } };
    if (switches.rateLimit) return { status: 429, body: { message: 'Too Many Attempts.' } };
    if (request.method === 'POST' && path === '/message/sms/send') return sendSms(requestFields(request));
    const statusQuery = /^\/message\/sms\/status_by_id\/([^/]+)$/.exec(path ?? '');
    if (request.method === 'GET' && statusQuery) return smsStatus(decodeURIComponent(statusQuery[1]));
    if (request.method === 'GET' && path === '/user/get-limit') {
      return { status: 200, body: { status: 'success', data: { balance: options.balance ?? 125000.75 } } };
    }
    return { status: 404, body: { message: 'Not Found' } };
  });

  function hasLiveToken(request: RecordedRequest): boolean {
    const bearer = /^Bearer (.+)$/.exec(String(request.headers.authorization ?? ''));
    return !!bearer && liveTokens.has(bearer[1]) && !switches.rejectEveryToken;
  }

  return {
    provider: 'eskiz',
    server,
    env: {
      SMS_PROVIDER: 'eskiz',
      ESKIZ_EMAIL: email,
      ESKIZ_PASSWORD: password,
      ESKIZ_SENDER: sender,
      ESKIZ_API_URL: `${server.origin}${PREFIX}`,
    },
    requests: server.requests,
    messages,
    failSends: (enabled) => void (switches.fail = enabled),
    hangSends: (enabled) => void (switches.hang = enabled),
    rejectEveryToken: (enabled) => void (switches.rejectEveryToken = enabled),
    insufficientFunds: (enabled) => void (switches.insufficientFunds = enabled),
    rateLimit: (enabled) => void (switches.rateLimit = enabled),
    malformedSends: (enabled) => void (switches.malformed = enabled),
    expireTokens: () => liveTokens.clear(),
    deliver: (messageId) => void statuses.set(messageId, 'delivered'),
    setStatus: (messageId, status) => void statuses.set(messageId, status),
    close: () => server.close(),
  };
}

function jwtLikeToken(subject: string): string {
  const part = (value: object): string => Buffer.from(JSON.stringify(value)).toString('base64url');
  const claims = { sub: subject, iat: Math.floor(Date.now() / 1000), jti: randomUUID() };
  return [part({ typ: 'JWT', alg: 'HS256' }), part(claims), randomBytes(32).toString('base64url')].join('.');
}

/** The fields of a multipart/form-data, form or JSON body: Eskiz (Laravel) reads all three. */
function requestFields(request: RecordedRequest): Record<string, string> {
  if (request.form) return Object.fromEntries(request.form);
  if (request.json && typeof request.json === 'object') {
    return Object.fromEntries(Object.entries(request.json).map(([key, value]) => [key, String(value)]));
  }
  const boundary = /multipart\/form-data;.*boundary="?([^";]+)"?/i.exec(String(request.headers['content-type'] ?? ''));
  return boundary ? multipartFields(request.body, boundary[1]) : {};
}

/** Text fields only: enough for logins and sends. */
function multipartFields(body: string, boundary: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const part of body.split(`--${boundary}`)) {
    const separator = part.indexOf('\r\n\r\n');
    if (separator < 0) continue;
    const name = /name="([^"]*)"/i.exec(part.slice(0, separator));
    if (name) fields[name[1]] = part.slice(separator + 4).replace(/\r\n$/, '');
  }
  return fields;
}
