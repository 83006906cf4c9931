import { createHash, createHmac, randomBytes, randomInt } from 'node:crypto';
import { type FakeReply, postWebhook, type RecordedRequest, startFakeHttpServer } from './fake-http-server';
import type { FakeHttpServer } from './fake-http-server';

/**
 * A faithful Telegram Gateway API (core.telegram.org/gateway/api; providers.md §6 and "What a faithful fake
 * server must do"): methods at `/<method>` (case-insensitive), parameters as query string, form or JSON,
 * `Authorization: Bearer <token>` or `access_token`; `{ok:true,result}` / `{ok:false,error}` envelopes.
 * Each sent message moves sent → delivered → read on timers (or stays at sent until its ttl expires, refunded),
 * and every change is POSTed to its `callback_url`, signed as Telegram signs it, retried on non-200.
 */
export interface TelegramFakeOptions {
  token?: string;
  /** `request_cost` of one message (USD). */
  requestCost?: number;
  /** The account's starting `remaining_balance`. */
  balance?: number;
  /** Milliseconds between the steps sent → delivered → read; null: only the test moves messages. */
  stepMs?: number | null;
  /** Telegram wants an HTTPS callback_url; loopback tests may allow http. */
  allowHttpCallbacks?: boolean;
  /**
   * Where a report for `callbackUrl` is actually posted: stands for the TLS-terminating proxy in front of
   * the service (the URL signed and sent stays the callback URL). Default: the URL itself.
   */
  deliverTo?: (callbackUrl: string) => string;
  /** Delays before each retry of a report answered with anything but 200 (Telegram: up to 10, growing). */
  retryDelaysMs?: number[];
  /** HTTP status of `ok:false` replies; the real one is not documented (the SDKs ignore it). Default 400. */
  errorHttpStatus?: number;
}

/** One verification message as the fake keeps it. */
export interface TelegramFakeMessage {
  id: string;
  /** The recipient as received (E.164). */
  to: string;
  /** The code Telegram delivers: ours when `code` was sent, else one the fake generated. */
  code: string;
  /** True when the request carried `code` (Telegram did not generate it). */
  ownCode: boolean;
  text: string;
  ttl: number | null;
  payload: string | null;
  callbackUrl: string | null;
  senderUsername: string | null;
  deliveryStatus: 'sent' | 'delivered' | 'read' | 'expired' | 'revoked';
  updatedAt: number;
  verificationStatus: { status: string; updated_at: number; code_entered?: string } | null;
  isRefunded: boolean;
  requestCost: number;
  /** Statuses still ahead on the timer. */
  pending: ('delivered' | 'read')[];
  /** `checkVerificationStatus` calls for this message: the code passed, or null without one. */
  checks: (string | null)[];
  wrongCodes: number;
}

/** One POST of a report to a callback URL, as the fake made it. */
export interface TelegramReportAttempt {
  requestId: string;
  url: string;
  /** HTTP status of the answer; 0 when the connection failed. */
  status: number;
  body: string;
  headers: Record<string, string>;
}

export interface TelegramSignedReport {
  body: string;
  headers: Record<string, string>;
}

export interface TelegramFake {
  provider: 'telegram';
  token: string;
  server: FakeHttpServer;
  /** What sms-auth needs to use this fake (SMS_PROVIDER, TELEGRAM_GATEWAY_TOKEN, TELEGRAM_GATEWAY_API_URL). */
  env: Record<string, string>;
  requests: RecordedRequest[];
  messages: TelegramFakeMessage[];
  reports: TelegramReportAttempt[];
  balance(): number;
  /** Numbers without Telegram: sends answer this error (default PHONE_NUMBER_NOT_AVAILABLE). */
  notOnTelegram(phoneNumber: string, error?: 'PHONE_NUMBER_NOT_AVAILABLE' | 'PHONE_NUMBER_NOT_FOUND'): void;
  /** Channels `sender_username` may name. */
  verifySender(username: string): void;
  /** Switch: messages stay at `sent` (until their ttl expires or `expire`). */
  neverDeliver(enabled: boolean): void;
  /** Switch: every call answers 429 `FLOOD_WAIT_<seconds>`; null turns it off. */
  floodWait(seconds: number | null): void;
  /** Switch: sends answer HTTP 500 (Telegram down). */
  failSends(enabled: boolean): void;
  /** Switch: sends never answer. */
  hangSends(enabled: boolean): void;
  /** Switch: sends answer 200 with a body that is not JSON. */
  malformedSends(enabled: boolean): void;
  setBalance(balance: number): void;
  /** One step along sent → delivered → read, reported to the callback URL. */
  advance(requestId: string): Promise<void>;
  /** Jumps to a status, reported to the callback URL unless `report` is false (a report that got lost). */
  setStatus(
    requestId: string,
    status: TelegramFakeMessage['deliveryStatus'],
    options?: { report?: boolean },
  ): Promise<void>;
  /** The ttl ran out before delivery: `expired`, refunded. */
  expire(requestId: string): Promise<void>;
  /** The message's current status as Telegram would sign it at `timestampSeconds` (default now). */
  signedReport(requestId: string, options?: { timestampSeconds?: number; token?: string }): TelegramSignedReport;
  /** POSTs the current status to `url` (default the message's callback_url), once, without retries. */
  postReport(requestId: string, url?: string): Promise<{ status: number; text: string }>;
  /** Resolves when every scheduled report and retry has been made. */
  settled(): Promise<void>;
  close(): Promise<void>;
}

const E164 = /^\+?[1-9]\d{6,14}$/;
const OWN_CODE = /^\d{4,8}$/;
const MAX_CODE_ATTEMPTS = 3;
const METHODS = new Set([
  'sendverificationmessage',
  'checksendability',
  'checkverificationstatus',
  'revokeverificationmessage',
]);

interface Switches {
  neverDeliver: boolean;
  floodWait: number | null;
  failSends: boolean;
  hangSends: boolean;
  malformedSends: boolean;
}

export async function startTelegramFake(options: TelegramFakeOptions = {}): Promise<TelegramFake> {
  const token = options.token ?? `${randomInt(100000, 999999)}:AAG${randomBytes(16).toString('hex')}`;
  const requestCost = options.requestCost ?? 0.01;
  const stepMs = options.stepMs === undefined ? null : options.stepMs;
  const retryDelaysMs = options.retryDelaysMs ?? [20, 40, 80, 160, 320, 640, 1280, 2560, 5120, 10240];
  const errorStatus = options.errorHttpStatus ?? 400;
  const state = { balance: options.balance ?? 100 };
  const switches: Switches = {
    neverDeliver: false,
    floodWait: null,
    failSends: false,
    hangSends: false,
    malformedSends: false,
  };
  const notOnTelegram = new Map<string, string>();
  const verifiedSenders = new Set<string>();
  const messages: TelegramFakeMessage[] = [];
  const reports: TelegramReportAttempt[] = [];
  const timers = new Set<NodeJS.Timeout>();
  /** Timers `settled` waits for (steps and retries; not the ttl expiries, which may be an hour away). */
  const pendingWork = new Set<NodeJS.Timeout>();
  const inFlight = new Set<Promise<void>>();
  let closed = false;

  const find = (id: string) => messages.find((message) => message.id === id);
  const mustFind = (id: string) => find(id) ?? fail(`telegram fake: no request ${id}`);
  const later = (ms: number, run: () => void, awaited = true) => {
    if (closed) return;
    const timer = setTimeout(() => {
      timers.delete(timer);
      pendingWork.delete(timer);
      if (!closed) run();
    }, ms);
    timer.unref();
    timers.add(timer);
    if (awaited) pendingWork.add(timer);
  };
  const track = (work: Promise<void>) => {
    inFlight.add(work);
    void work.finally(() => inFlight.delete(work));
    return work;
  };

  const sign = (body: string, timestamp: number, key = token) => ({
    body,
    headers: {
      'content-type': 'application/json',
      'x-request-timestamp': String(timestamp),
      'x-request-signature': signReport(key, String(timestamp), body),
    },
  });

  /** POSTs the status to the callback URL; retries with growing delays until it is answered 200. */
  const report = (message: TelegramFakeMessage, attempt = 0): Promise<void> => {
    if (!message.callbackUrl || closed) return Promise.resolve();
    const signed = sign(JSON.stringify(requestStatus(message)), nowSeconds());
    const url = message.callbackUrl;
    return track(
      (async () => {
        let status = 0;
        try {
          status = (await postWebhook(options.deliverTo?.(url) ?? url, signed.body, signed.headers)).status;
        } catch {
          status = 0;
        }
        reports.push({ requestId: message.id, url, status, body: signed.body, headers: signed.headers });
        const delay = retryDelaysMs[attempt];
        if (status !== 200 && delay !== undefined) later(delay, () => void report(message, attempt + 1));
      })(),
    );
  };

  const moveTo = (
    message: TelegramFakeMessage,
    status: TelegramFakeMessage['deliveryStatus'],
    sendReport = true,
  ): Promise<void> => {
    message.deliveryStatus = status;
    message.updatedAt = nowSeconds();
    if (status === 'expired' || status === 'revoked' || status === 'read') message.pending = [];
    if (status === 'expired' && !message.isRefunded) {
      // "If a message is not delivered within the specified ttl, the request fee will be refunded automatically."
      message.isRefunded = true;
      state.balance = round(state.balance + message.requestCost);
    }
    return sendReport ? report(message) : Promise.resolve();
  };

  const advance = (message: TelegramFakeMessage): Promise<void> => {
    const next = message.pending.shift();
    return next ? moveTo(message, next) : Promise.resolve();
  };

  const schedule = (message: TelegramFakeMessage) => {
    if (stepMs !== null && message.pending.length > 0)
      later(stepMs, () => void advance(message).then(() => schedule(message)));
  };

  const handler = (request: RecordedRequest): FakeReply => {
    const params = paramsOf(request);
    const method = request.path.replace(/^\/+/, '').toLowerCase();
    if (!METHODS.has(method)) return error(404, 'UNKNOWN_METHOD');
    const isSend = method === 'sendverificationmessage';
    if (isSend && switches.hangSends) return { status: 200, hang: true };
    if (isSend && switches.failSends) return { status: 500, body: { ok: false, error: 'INTERNAL_SERVER_ERROR' } };
    if (isSend && switches.malformedSends) return { status: 200, body: '<html>502 Bad Gateway</html>' };
    const given = bearerToken(request) ?? params.access_token;
    if (!given) return error(401, 'ACCESS_TOKEN_REQUIRED');
    if (given !== token) return error(401, 'ACCESS_TOKEN_INVALID');
    if (switches.floodWait !== null) return error(429, `FLOOD_WAIT_${switches.floodWait}`);
    if (method === 'checksendability') return checkSendAbility(params);
    if (isSend) return sendVerificationMessage(params);
    const message = params.request_id ? find(params.request_id) : undefined;
    if (!params.request_id) return error(errorStatus, 'REQUEST_ID_REQUIRED');
    if (!message) return error(errorStatus, 'REQUEST_ID_INVALID');
    if (method === 'revokeverificationmessage') {
      // "It will not be removed if it has already been delivered or read": the status is kept then.
      if (message.deliveryStatus === 'sent') void moveTo(message, 'revoked');
      return ok(true);
    }
    return checkVerificationStatus(message, params.code);
  };

  const checkSendAbility = (params: Record<string, string>): FakeReply => {
    const phone = params.phone_number;
    if (!phone || !E164.test(phone)) return error(errorStatus, 'PHONE_NUMBER_INVALID');
    const missing = notOnTelegram.get(normalise(phone));
    if (missing) return error(errorStatus, missing);
    // Billed at once (docs): the reason sms-auth never calls it.
    state.balance = round(state.balance - requestCost);
    return ok({
      request_id: newRequestId(),
      phone_number: normalise(phone),
      request_cost: requestCost,
      remaining_balance: state.balance,
    });
  };

  const sendVerificationMessage = (params: Record<string, string>): FakeReply => {
    const phone = params.phone_number;
    if (!phone || !E164.test(phone)) return error(errorStatus, 'PHONE_NUMBER_INVALID');
    const ownCode = params.code !== undefined;
    if (ownCode && !OWN_CODE.test(params.code)) return error(errorStatus, 'CODE_LENGTH_INVALID');
    if (!ownCode) {
      const length = Number(params.code_length);
      if (params.code_length === undefined) return error(errorStatus, 'CODE_LENGTH_REQUIRED');
      if (!Number.isInteger(length) || length < 4 || length > 8) return error(errorStatus, 'CODE_LENGTH_INVALID');
    }
    let ttl: number | null = null;
    if (params.ttl !== undefined) {
      ttl = Number(params.ttl);
      if (!/^\d+$/.test(params.ttl) || ttl < 30 || ttl > 3600) return error(errorStatus, 'TTL_INVALID');
    }
    const callbackUrl = params.callback_url ?? null;
    if (callbackUrl !== null && !validCallbackUrl(callbackUrl, options.allowHttpCallbacks ?? false))
      return error(errorStatus, 'CALLBACK_URL_INVALID');
    const payload = params.payload ?? null;
    if (payload !== null && Buffer.byteLength(payload) > 128) return error(errorStatus, 'PAYLOAD_INVALID');
    const sender = params.sender_username ?? null;
    if (sender !== null && !verifiedSenders.has(sender.replace(/^@/, '')))
      return error(errorStatus, 'SENDER_NOT_VERIFIED');
    const missing = notOnTelegram.get(normalise(phone));
    if (missing) return error(errorStatus, missing);
    if (state.balance < requestCost) return error(errorStatus, 'BALANCE_NOT_ENOUGH');
    state.balance = round(state.balance - requestCost);
    const code = ownCode ? params.code : generateCode(Number(params.code_length));
    const message: TelegramFakeMessage = {
      id: newRequestId(),
      to: normalise(phone),
      code,
      ownCode,
      text: code,
      ttl,
      payload,
      callbackUrl,
      senderUsername: sender,
      deliveryStatus: 'sent',
      updatedAt: nowSeconds(),
      verificationStatus: null,
      isRefunded: false,
      requestCost,
      pending: switches.neverDeliver ? [] : ['delivered', 'read'],
      checks: [],
      wrongCodes: 0,
    };
    messages.push(message);
    schedule(message);
    if (ttl !== null)
      later(
        ttl * 1000,
        () => {
          if (message.deliveryStatus === 'sent') void moveTo(message, 'expired');
        },
        false,
      );
    return ok({ ...requestStatus(message), remaining_balance: state.balance });
  };

  const checkVerificationStatus = (message: TelegramFakeMessage, code: string | undefined): FakeReply => {
    message.checks.push(code ?? null);
    if (code !== undefined && message.verificationStatus?.status !== 'code_valid') {
      const now = nowSeconds();
      if (message.deliveryStatus === 'expired') message.verificationStatus = { status: 'expired', updated_at: now };
      else if (code === message.code)
        message.verificationStatus = { status: 'code_valid', updated_at: now, code_entered: code };
      else {
        message.wrongCodes += 1;
        const status = message.wrongCodes >= MAX_CODE_ATTEMPTS ? 'code_max_attempts_exceeded' : 'code_invalid';
        message.verificationStatus = { status, updated_at: now, code_entered: code };
      }
    }
    return ok(requestStatus(message));
  };

  const server = await startFakeHttpServer(handler);

  return {
    provider: 'telegram',
    token,
    server,
    env: { SMS_PROVIDER: 'telegram', TELEGRAM_GATEWAY_TOKEN: token, TELEGRAM_GATEWAY_API_URL: server.origin },
    requests: server.requests,
    messages,
    reports,
    balance: () => state.balance,
    notOnTelegram: (phone, word = 'PHONE_NUMBER_NOT_AVAILABLE') => void notOnTelegram.set(normalise(phone), word),
    verifySender: (username) => void verifiedSenders.add(username.replace(/^@/, '')),
    neverDeliver: (enabled) => void (switches.neverDeliver = enabled),
    floodWait: (seconds) => void (switches.floodWait = seconds),
    failSends: (enabled) => void (switches.failSends = enabled),
    hangSends: (enabled) => void (switches.hangSends = enabled),
    malformedSends: (enabled) => void (switches.malformedSends = enabled),
    setBalance: (balance) => void (state.balance = balance),
    advance: (id) => advance(mustFind(id)),
    setStatus: (id, status, { report: sendReport = true } = {}) => moveTo(mustFind(id), status, sendReport),
    expire: (id) => moveTo(mustFind(id), 'expired'),
    signedReport: (id, { timestampSeconds, token: key } = {}) =>
      sign(JSON.stringify(requestStatus(mustFind(id))), timestampSeconds ?? nowSeconds(), key ?? token),
    postReport: (id, url) => {
      const message = mustFind(id);
      const target = url ?? message.callbackUrl ?? fail(`telegram fake: request ${id} has no callback_url`);
      const signed = sign(JSON.stringify(requestStatus(message)), nowSeconds());
      return postWebhook(target, signed.body, signed.headers);
    },
    settled: async () => {
      while (inFlight.size > 0 || pendingWork.size > 0) {
        await Promise.all([...inFlight]);
        if (pendingWork.size > 0) await new Promise((resolve) => setTimeout(resolve, 10));
      }
    },
    close: async () => {
      closed = true;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      pendingWork.clear();
      await Promise.all([...inFlight]);
      await server.close();
    },
  };

  function ok(result: unknown): FakeReply {
    return { status: 200, body: { ok: true, result } };
  }

  function error(status: number, word: string): FakeReply {
    return { status, body: { ok: false, error: word } };
  }
}

/** The RequestStatus object (docs): optional fields only when relevant. */
function requestStatus(message: TelegramFakeMessage): Record<string, unknown> {
  return {
    request_id: message.id,
    phone_number: message.to,
    request_cost: message.requestCost,
    ...(message.isRefunded ? { is_refunded: true } : {}),
    delivery_status: { status: message.deliveryStatus, updated_at: message.updatedAt },
    ...(message.verificationStatus ? { verification_status: message.verificationStatus } : {}),
    ...(message.payload !== null ? { payload: message.payload } : {}),
  };
}

/**
 * The fake's own signer, written from the docs independently of the adapter's verifier:
 * hex(HMAC_SHA256(data_check_string, secret_key)), data_check_string = timestamp + "\n" + body,
 * secret_key = SHA256(api_token) (raw digest).
 */
export function signReport(token: string, timestamp: string, body: string): string {
  const secretKey = createHash('sha256').update(token).digest();
  return createHmac('sha256', secretKey)
    .update(Buffer.from(`${timestamp}\n${body}`, 'utf8'))
    .digest('hex');
}

/** Parameters from the query string, a form body or a JSON body, as the API accepts them. */
function paramsOf(request: RecordedRequest): Record<string, string> {
  const params: Record<string, string> = Object.fromEntries(request.query);
  if (request.form) Object.assign(params, Object.fromEntries(request.form));
  if (request.json && typeof request.json === 'object' && !Array.isArray(request.json)) {
    for (const [key, value] of Object.entries(request.json as Record<string, unknown>)) {
      if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')
        params[key] = String(value);
    }
  }
  return params;
}

function bearerToken(request: RecordedRequest): string | undefined {
  const header = String(request.headers.authorization ?? '');
  return header.startsWith('Bearer ') ? header.slice('Bearer '.length) : undefined;
}

function validCallbackUrl(url: string, allowHttp: boolean): boolean {
  if (Buffer.byteLength(url) > 256) return false;
  try {
    const { protocol } = new URL(url);
    return protocol === 'https:' || (allowHttp && protocol === 'http:');
  } catch {
    return false;
  }
}

function normalise(phone: string): string {
  return phone.startsWith('+') ? phone : `+${phone}`;
}

function newRequestId(): string {
  return String(randomInt(1, 2 ** 47)) + String(randomInt(0, 1e6)).padStart(6, '0');
}

function generateCode(length: number): string {
  return Array.from({ length }, () => String(randomInt(0, 10))).join('');
}

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

function round(amount: number): number {
  return Math.round(amount * 1e6) / 1e6;
}

function fail(message: string): never {
  throw new Error(message);
}
