import { createHmac, randomBytes } from 'node:crypto';
import { type FakeReply, postWebhook, type RecordedRequest, startFakeHttpServer } from './fake-http-server';
import type { FakeMessage, FakeVendor } from './fake-vendor';

/** An asynchronous delivery failure (providers.md §4): the final status and its 30xxx code. */
export interface TwilioDeliveryFailure {
  status: 'undelivered' | 'failed';
  errorCode: 30003 | 30004 | 30005 | 30006 | 30007 | 30008;
}

export interface TwilioFakeOptions {
  accountSid?: string;
  authToken?: string;
  phoneNumber?: string;
  messagingServiceSid?: string;
  /** `env` configures sms-auth with TWILIO_MESSAGING_SERVICE_SID instead of TWILIO_PHONE_NUMBER. */
  useMessagingService?: boolean;
  balance?: string;
  currency?: string;
  /** Each status query moves the message one step along its progression (default true), as time would. */
  advanceOnStatusQuery?: boolean;
}

/** A message as the fake keeps it: what Twilio would return for `GET …/Messages/{sid}.json`. */
export interface TwilioFakeMessage extends FakeMessage {
  from: string | null;
  messagingServiceSid: string | null;
  statusCallback: string | null;
  status: string;
  errorCode: number | null;
  dateCreated: Date;
  dateUpdated: Date;
  dateSent: Date | null;
  /** Statuses still ahead; empty once final or frozen by `setStatus`. */
  pending: string[];
}

export interface TwilioCallback {
  /** The form-encoded body Twilio posts. */
  body: string;
  headers: Record<string, string>;
}

export interface TwilioFake extends FakeVendor {
  provider: 'twilio';
  accountSid: string;
  authToken: string;
  phoneNumber: string;
  messagingServiceSid: string;
  messages: TwilioFakeMessage[];
  /** Moves a message one step: queued → sending → sent → delivered (or the configured failure). */
  advance(messageSid: string): void;
  /** Freezes a message at any Twilio status (for the status-mapping tests). */
  setStatus(messageSid: string, status: string, errorCode?: number | null): void;
  /** Ends a message in `undelivered`/`failed` with a 30xxx code. */
  failDelivery(messageSid: string, failure: TwilioDeliveryFailure): void;
  /** Switch: messages reaching their final step end in this failure instead of `delivered` (null = delivered). */
  deliveryFailure(failure: TwilioDeliveryFailure | null): void;
  /** Trial account: only these numbers may receive (21608); null leaves trial mode. */
  trialMode(verifiedNumbers: string[] | null): void;
  /** The recipient replied STOP (21610). */
  optOut(phoneNumber: string): void;
  /** Refuses one recipient with a 400 Twilio code (21408, 21612, 21614, 21635, …). */
  refuseRecipient(phoneNumber: string, code: number): void;
  /** Account suspended for lack of funds: every call gets 20005. */
  suspendAccount(enabled: boolean): void;
  /** Every endpoint answers 429 20429. */
  rateLimit(enabled: boolean): void;
  /** Every endpoint answers 500 20500 (failSends affects only sends). */
  outage(enabled: boolean): void;
  /** Every endpoint answers 2xx with a body that is not JSON. */
  malformedReplies(enabled: boolean): void;
  setBalance(balance: string, currency?: string): void;
  /** A status callback for `url`, signed with the auth token as Twilio signs it. */
  signedCallback(url: string, messageSid: string, status: string, errorCode?: number | string): TwilioCallback;
  /** The same callback signed with a wrong token. */
  forgedCallback(url: string, messageSid: string, status: string, errorCode?: number | string): TwilioCallback;
  /** POSTs the message's current status to the StatusCallback it was sent with, as Twilio does on each change. */
  postStatusCallback(messageSid: string): Promise<{ status: number; text: string }>;
}

const API = '/2010-04-01';
const E164 = /^\+[1-9]\d{6,14}$/;

interface Switches {
  failSends: boolean;
  hangSends: boolean;
  rateLimit: boolean;
  outage: boolean;
  malformed: boolean;
  suspended: boolean;
  verifiedNumbers: string[] | null;
  refused: Map<string, number>;
  deliveryFailure: TwilioDeliveryFailure | null;
}

export async function startTwilioFake(options: TwilioFakeOptions = {}): Promise<TwilioFake> {
  const account = {
    accountSid: options.accountSid ?? `AC${hex(16)}`,
    authToken: options.authToken ?? hex(16),
    phoneNumber: options.phoneNumber ?? '+15557122661',
    messagingServiceSid: options.messagingServiceSid ?? `MG${hex(16)}`,
  };
  const balance = { balance: options.balance ?? '12.34', currency: options.currency ?? 'USD' };
  const switches: Switches = {
    failSends: false,
    hangSends: false,
    rateLimit: false,
    outage: false,
    malformed: false,
    suspended: false,
    verifiedNumbers: null,
    refused: new Map(),
    deliveryFailure: null,
  };
  const messages: TwilioFakeMessage[] = [];
  const find = (sid: string) => messages.find((message) => message.id === sid);
  const mustFind = (sid: string) => find(sid) ?? fail(`twilio fake: no message ${sid}`);

  const advance = (sid: string) => {
    const message = mustFind(sid);
    const next = message.pending.shift();
    if (!next) return;
    const failure = message.pending.length === 0 ? switches.deliveryFailure : null;
    if (failure) moveTo(message, failure.status, failure.errorCode);
    else moveTo(message, next, null);
  };

  const handler = (request: RecordedRequest): FakeReply => {
    if (switches.outage) return twilioError(500, 20500, 'An internal server error has occurred');
    if (switches.rateLimit) return twilioError(429, 20429, 'Too Many Requests');
    if (!hasValidBasicAuth(request, account)) return unauthenticated();
    if (switches.suspended) return twilioError(403, 20005, 'Account not active');
    const route = matchRoute(request, account.accountSid);
    if (!route) return twilioError(404, 20404, `The requested resource ${request.path} was not found`);
    if (switches.malformed)
      return { status: route.kind === 'send' ? 201 : 200, body: '<html><body>Bad gateway</body></html>' };
    if (route.kind === 'balance') return { status: 200, body: { account_sid: account.accountSid, ...balance } };
    if (route.kind === 'fetch') return fetchMessage(request.path, route.messageSid);
    return createMessage(request.form ?? new URLSearchParams());
  };

  const fetchMessage = (path: string, sid: string): FakeReply => {
    const message = find(sid);
    if (!message) return twilioError(404, 20404, `The requested resource ${path} was not found`);
    const body = messageJson(message, account.accountSid);
    if (options.advanceOnStatusQuery ?? true) advance(sid);
    return { status: 200, body };
  };

  const createMessage = (form: URLSearchParams): FakeReply => {
    if (switches.hangSends) return { status: 200, hang: true };
    if (switches.failSends) return twilioError(500, 20500, 'An internal server error has occurred');
    const refusal = refuseSend(form, account, switches);
    if (refusal) return refusal;
    const message = newMessage(form);
    messages.push(message);
    return { status: 201, body: messageJson(message, account.accountSid) };
  };

  const server = await startFakeHttpServer(handler);
  const sign = (
    token: string,
    url: string,
    sid: string,
    status: string,
    errorCode?: number | string,
  ): TwilioCallback => {
    const form = callbackForm(find(sid), sid, status, errorCode, account);
    return {
      body: form.toString(),
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'user-agent': 'TwilioProxy/1.1',
        'x-twilio-signature': signCallback(token, url, form),
      },
    };
  };

  return {
    provider: 'twilio',
    ...account,
    server,
    env: {
      SMS_PROVIDER: 'twilio',
      TWILIO_ACCOUNT_SID: account.accountSid,
      TWILIO_AUTH_TOKEN: account.authToken,
      ...(options.useMessagingService
        ? { TWILIO_MESSAGING_SERVICE_SID: account.messagingServiceSid }
        : { TWILIO_PHONE_NUMBER: account.phoneNumber }),
      TWILIO_API_URL: server.origin,
    },
    requests: server.requests,
    messages,
    failSends: (enabled) => void (switches.failSends = enabled),
    hangSends: (enabled) => void (switches.hangSends = enabled),
    deliver: (sid) => freezeAt(mustFind(sid), 'delivered', null),
    advance,
    setStatus: (sid, status, errorCode = null) => freezeAt(mustFind(sid), status, errorCode),
    failDelivery: (sid, failure) => freezeAt(mustFind(sid), failure.status, failure.errorCode),
    deliveryFailure: (failure) => void (switches.deliveryFailure = failure),
    trialMode: (verifiedNumbers) => void (switches.verifiedNumbers = verifiedNumbers),
    optOut: (phoneNumber) => void switches.refused.set(phoneNumber, 21610),
    refuseRecipient: (phoneNumber, code) => void switches.refused.set(phoneNumber, code),
    suspendAccount: (enabled) => void (switches.suspended = enabled),
    rateLimit: (enabled) => void (switches.rateLimit = enabled),
    outage: (enabled) => void (switches.outage = enabled),
    malformedReplies: (enabled) => void (switches.malformed = enabled),
    setBalance: (value, currency = balance.currency) => Object.assign(balance, { balance: value, currency }),
    signedCallback: (url, sid, status, errorCode) => sign(account.authToken, url, sid, status, errorCode),
    forgedCallback: (url, sid, status, errorCode) => sign(`not-${account.authToken}`, url, sid, status, errorCode),
    postStatusCallback: (sid) => {
      const message = mustFind(sid);
      if (!message.statusCallback) throw new Error(`twilio fake: message ${sid} was sent without StatusCallback`);
      const callback = sign(
        account.authToken,
        message.statusCallback,
        sid,
        message.status,
        message.errorCode ?? undefined,
      );
      return postWebhook(message.statusCallback, callback.body, callback.headers);
    },
    close: () => server.close(),
  };
}

type Route = { kind: 'send' } | { kind: 'fetch'; messageSid: string } | { kind: 'balance' };

function matchRoute({ method, path }: RecordedRequest, accountSid: string): Route | null {
  const prefix = `${API}/Accounts/${accountSid}`;
  if (!path.startsWith(`${prefix}/`)) return null;
  const rest = path.slice(prefix.length);
  if (method === 'POST' && rest === '/Messages.json') return { kind: 'send' };
  if (method === 'GET' && rest === '/Balance.json') return { kind: 'balance' };
  const fetch = /^\/Messages\/([^/]+)\.json$/.exec(rest);
  if (method === 'GET' && fetch) return { kind: 'fetch', messageSid: decodeURIComponent(fetch[1]) };
  return null;
}

function hasValidBasicAuth(request: RecordedRequest, account: { accountSid: string; authToken: string }): boolean {
  const header = String(request.headers.authorization ?? '');
  if (!header.startsWith('Basic ')) return false;
  const decoded = Buffer.from(header.slice('Basic '.length), 'base64').toString('utf8');
  return decoded === `${account.accountSid}:${account.authToken}`;
}

function unauthenticated(): FakeReply {
  return {
    status: 401,
    body: {
      code: 20003,
      detail: 'Your AccountSid or AuthToken was incorrect.',
      message: 'Authenticate',
      more_info: moreInfo(20003),
      status: 401,
    },
  };
}

function twilioError(status: number, code: number, message: string): FakeReply {
  return { status, body: { code, message, more_info: moreInfo(code), status } };
}

function moreInfo(code: number): string {
  return `https://www.twilio.com/docs/errors/${code}`;
}

/** Twilio's 400 checks of a send, in the order the real API appears to apply them. */
function refuseSend(
  form: URLSearchParams,
  account: { phoneNumber: string; messagingServiceSid: string },
  switches: Switches,
): FakeReply | null {
  const to = form.get('To');
  const from = form.get('From');
  const service = form.get('MessagingServiceSid');
  if (!to) return twilioError(400, 21604, "A 'To' phone number is required.");
  if (!from && !service) return twilioError(400, 21603, "A 'From' phone number is required.");
  if (!form.get('Body') && !form.get('MediaUrl') && !form.get('ContentSid'))
    return twilioError(400, 21602, 'Message body is required.');
  if (!E164.test(to)) return twilioError(400, 21211, `The 'To' number ${to} is not a valid phone number.`);
  if (service && service !== account.messagingServiceSid)
    return twilioError(400, 21701, `The Messaging Service Sid ${service} is invalid.`);
  if (!service && from !== account.phoneNumber) {
    return twilioError(
      400,
      21606,
      `The 'From' phone number provided (${from}) is not a valid message-capable Twilio phone number for this destination/account.`,
    );
  }
  if (switches.verifiedNumbers && !switches.verifiedNumbers.includes(to)) {
    return twilioError(
      400,
      21608,
      `The number ${to} is unverified. Trial accounts cannot send messages to unverified numbers; verify ${to} at twilio.com/user/account/phone-numbers/verified, or purchase a Twilio number to send messages to unverified numbers.`,
    );
  }
  const refusedCode = switches.refused.get(to);
  return refusedCode ? twilioError(400, refusedCode, refusalText(refusedCode, to)) : null;
}

function refusalText(code: number, to: string): string {
  const texts: Record<number, string> = {
    21408: `Permission to send an SMS has not been enabled for the region indicated by the 'To' number: ${to}.`,
    21610: 'Attempt to send to unsubscribed recipient',
    21612: `The 'To' phone number: ${to}, is not currently reachable using the 'From' phone number via SMS.`,
    21614: `'To' number ${to} is not a valid mobile number`,
    21635: `'To' number ${to} cannot be a landline`,
  };
  return texts[code] ?? `The 'To' number ${to} cannot receive this message.`;
}

function newMessage(form: URLSearchParams): TwilioFakeMessage {
  const now = new Date();
  const service = form.get('MessagingServiceSid');
  return {
    id: `SM${hex(16)}`,
    to: form.get('To')!,
    text: form.get('Body') ?? '',
    from: service ? null : form.get('From'),
    messagingServiceSid: service,
    statusCallback: form.get('StatusCallback'),
    // With a Messaging Service Twilio first answers `accepted`, then picks a sender and queues.
    status: service ? 'accepted' : 'queued',
    errorCode: null,
    dateCreated: now,
    dateUpdated: now,
    dateSent: null,
    pending: service ? ['queued', 'sending', 'sent', 'delivered'] : ['sending', 'sent', 'delivered'],
  };
}

function moveTo(message: TwilioFakeMessage, status: string, errorCode: number | null): void {
  message.status = status;
  message.errorCode = errorCode;
  message.dateUpdated = new Date();
  if (!message.dateSent && ['sent', 'delivered', 'undelivered'].includes(status))
    message.dateSent = message.dateUpdated;
}

/** Jumps to a status and stops the progression there. */
function freezeAt(message: TwilioFakeMessage, status: string, errorCode: number | null): void {
  moveTo(message, status, errorCode);
  message.pending = [];
}

function messageJson(message: TwilioFakeMessage, accountSid: string): Record<string, unknown> {
  const uri = `${API}/Accounts/${accountSid}/Messages/${message.id}`;
  const priced = message.dateSent !== null;
  return {
    account_sid: accountSid,
    api_version: '2010-04-01',
    body: message.text,
    date_created: rfc2822(message.dateCreated),
    date_sent: message.dateSent ? rfc2822(message.dateSent) : null,
    date_updated: rfc2822(message.dateUpdated),
    direction: 'outbound-api',
    error_code: message.errorCode,
    error_message: null,
    from: message.from,
    messaging_service_sid: message.messagingServiceSid,
    num_media: '0',
    num_segments: String(Math.max(1, Math.ceil(message.text.length / 160))),
    price: priced ? '-0.00790' : null,
    price_unit: 'USD',
    sid: message.id,
    status: message.status,
    subresource_uris: { media: `${uri}/Media.json` },
    to: message.to,
    uri: `${uri}.json`,
  };
}

function callbackForm(
  message: TwilioFakeMessage | undefined,
  sid: string,
  status: string,
  errorCode: number | string | undefined,
  account: { accountSid: string; phoneNumber: string },
): URLSearchParams {
  const form = new URLSearchParams({
    ApiVersion: '2010-04-01',
    AccountSid: account.accountSid,
    MessageSid: sid,
    MessageStatus: status,
    SmsSid: sid,
    SmsStatus: status,
    From: message?.from ?? account.phoneNumber,
    To: message?.to ?? '+15558675310',
  });
  if (message?.messagingServiceSid) form.set('MessagingServiceSid', message.messagingServiceSid);
  if (errorCode !== undefined && errorCode !== null) form.set('ErrorCode', String(errorCode));
  if (status === 'delivered' || status === 'undelivered') form.set('RawDlrDoneDate', rawDlrDoneDate(new Date()));
  return form;
}

/**
 * The fake's own signer, written independently of the adapter's verifier so the tests check one
 * against the other: the URL, then each name+value in sorted name order, HMAC-SHA1, base64.
 */
function signCallback(authToken: string, url: string, form: URLSearchParams): string {
  const names = [...new Set(form.keys())].sort();
  const data = names.reduce(
    (text, name) =>
      text +
      [...new Set(form.getAll(name))]
        .sort()
        .map((value) => name + value)
        .join(''),
    url,
  );
  return createHmac('sha1', authToken).update(Buffer.from(data, 'utf8')).digest('base64');
}

/** `Thu, 24 Aug 2023 05:01:45 +0000`, as Twilio formats dates. */
function rfc2822(date: Date): string {
  return date.toUTCString().replace(/GMT$/, '+0000');
}

/** `YYMMDDhhmm` in UTC. */
function rawDlrDoneDate(date: Date): string {
  return date.toISOString().replace(/\D/g, '').slice(2, 12);
}

function hex(bytes: number): string {
  return randomBytes(bytes).toString('hex');
}

function fail(message: string): never {
  throw new Error(message);
}
