import { randomBytes, randomUUID } from 'node:crypto';
import { type FakeReply, type RecordedRequest, startFakeHttpServer } from './fake-http-server';
import type { FakeMessage, FakeVendor } from './fake-vendor';

export interface GreenSmsFakeOptions {
  user?: string;
  password?: string;
  sender?: string;
  /** What `/account/balance` answers: a string or a number, since which one GreenSMS uses is UNCONFIRMED. */
  balance?: string | number;
  /** The status word of a message just sent; GreenSMS's vocabulary is UNCONFIRMED, so tests pick it. */
  initialStatus?: string;
  /** The status word `deliver()` sets. */
  deliveredStatus?: string;
  /** HTTP status of `{error, code}` replies: 200 by default, as both SDKs rely only on the `error` key. */
  errorHttpStatus?: number;
}

export interface GreenSmsFake extends FakeVendor {
  provider: 'greensms';
  /** Issues an access token, as `POST /account/token` does. */
  issueToken(): string;
  /** Every token issued so far now gets "Authorization declined". */
  expireTokens(): void;
  /** Sends answer `{"error":"Insufficient funds","code":-1}`. */
  insufficientFunds(enabled: boolean): void;
  /** Every call answers HTTP 429. */
  rateLimit(enabled: boolean): void;
  /** Sends answer HTTP 200 with a body that is not JSON. */
  malformedSends(enabled: boolean): void;
  /** Sets the raw status word a status query returns for this message. */
  setStatus(messageId: string, status: string): void;
}

const AUTHORIZATION_DECLINED = { error: 'Authorization declined', code: 0 };
const VALIDATION_ERROR = { error: 'Validation Error', code: 1 };

/**
 * GreenSMS as providers.md describes it: `/{module}/{method}` with no version segment; credentials as
 * `user`/`pass` in the query string, a form body or a JSON body, or a Bearer token; errors as
 * `{error, code}`, with HTTP 200 unless `errorHttpStatus` says otherwise.
 */
export async function startGreenSmsFake(options: GreenSmsFakeOptions = {}): Promise<GreenSmsFake> {
  const user = options.user ?? 'greensms-user';
  const password = options.password ?? 'greensms-password';
  const sender = options.sender ?? 'AuthCode';
  const initialStatus = options.initialStatus ?? 'Accepted';
  const deliveredStatus = options.deliveredStatus ?? 'Delivered';
  const errorHttpStatus = options.errorHttpStatus ?? 200;

  const messages: FakeMessage[] = [];
  const statuses = new Map<string, string>();
  const liveTokens = new Set<string>();
  const switches = { fail: false, hang: false, insufficientFunds: false, rateLimit: false, malformed: false };

  const issueToken = (): string => {
    const token = randomBytes(24).toString('base64url');
    liveTokens.add(token);
    return token;
  };
  const error = (body: object): FakeReply => ({ status: errorHttpStatus, body });

  const isAuthorized = (request: RecordedRequest, params: Record<string, string>): boolean => {
    const bearer = /^Bearer (.+)$/.exec(String(request.headers.authorization ?? ''));
    if (bearer) return liveTokens.has(bearer[1]);
    return params.user === user && params.pass === password;
  };

  const sendSms = (params: Record<string, string>): FakeReply => {
    if (switches.hang) return { status: 200, hang: true };
    if (switches.fail) return { status: 503, body: { error: 'Service Unavailable', code: 503 } };
    if (switches.malformed) return { status: 200, body: '<html>Bad Gateway</html>' };
    const { to = '', txt = '', from } = params;
    if (!/^\d{11,14}$/.test(to) || txt.length < 1 || txt.length > 918 || (from !== undefined && from.length > 11)) {
      return error(VALIDATION_ERROR);
    }
    if (switches.insufficientFunds) return error({ error: 'Insufficient funds', code: -1 });
    const id = randomUUID();
    messages.push({ id, to, text: txt });
    statuses.set(id, initialStatus);
    return { status: 200, body: { request_id: id } };
  };

  const smsStatus = ({ id = '' }: Record<string, string>): FakeReply => {
    if (id.length !== 36) return error(VALIDATION_ERROR);
    const status = statuses.get(id);
    return status === undefined ? error({ error: 'Not found', code: 404 }) : { status: 200, body: { status } };
  };

  const server = await startFakeHttpServer((request) => {
    const params = requestParams(request);
    const route = `${request.method} ${request.path}`;
    if (switches.rateLimit) return { status: 429, body: { error: 'Too Many Requests', code: 429 } };
    if (route === 'POST /account/token') {
      if (params.user !== user || params.pass !== password) return error(AUTHORIZATION_DECLINED);
      return { status: 200, body: { access_token: issueToken() } };
    }
    const known = ['POST /sms/send', 'GET /sms/send', 'GET /sms/status', 'GET /account/balance'];
    if (!known.includes(route)) return error({ error: 'Not found', code: 404 });
    if (!isAuthorized(request, params)) return error(AUTHORIZATION_DECLINED);
    if (request.path === '/sms/send') return sendSms(params);
    if (request.path === '/sms/status') return smsStatus(params);
    return { status: 200, body: { balance: options.balance ?? '1234.5600' } };
  });

  return {
    provider: 'greensms',
    server,
    env: {
      SMS_PROVIDER: 'greensms',
      GREEN_SMS_USER: user,
      GREEN_SMS_PASSWORD: password,
      GREEN_SMS_SENDER: sender,
      GREEN_SMS_API_URL: server.origin,
    },
    requests: server.requests,
    messages,
    failSends: (enabled) => void (switches.fail = enabled),
    hangSends: (enabled) => void (switches.hang = enabled),
    insufficientFunds: (enabled) => void (switches.insufficientFunds = enabled),
    rateLimit: (enabled) => void (switches.rateLimit = enabled),
    malformedSends: (enabled) => void (switches.malformed = enabled),
    deliver: (messageId) => void statuses.set(messageId, deliveredStatus),
    setStatus: (messageId, status) => void statuses.set(messageId, status),
    issueToken,
    expireTokens: () => liveTokens.clear(),
    close: () => server.close(),
  };
}

/** GreenSMS reads parameters from the query string (Node SDK), a form body or a JSON body (PHP SDK v4). */
function requestParams(request: RecordedRequest): Record<string, string> {
  const params: Record<string, string> = Object.fromEntries(request.query);
  if (request.form) Object.assign(params, Object.fromEntries(request.form));
  if (request.json && typeof request.json === 'object') {
    for (const [key, value] of Object.entries(request.json)) params[key] = String(value);
  }
  return params;
}
