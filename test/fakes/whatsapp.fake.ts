import { createHmac, randomBytes } from 'node:crypto';
import { type FakeReply, type RecordedRequest, startFakeHttpServer } from './fake-http-server';
import type { FakeMessage, FakeVendor } from './fake-vendor';

/**
 * A loopback WhatsApp Cloud API (providers.md §7, checked against Meta's "Sending authentication templates",
 * "messages webhook" and "error codes" references): Bearer tokens, authentication-template validation, the
 * Graph error shape, and signed status webhooks (sent → delivered → read) POSTed to a URL, retried on non-2xx.
 */
export interface WhatsAppFakeOptions {
  accessToken?: string;
  phoneNumberId?: string;
  appSecret?: string;
  verifyToken?: string;
  templateName?: string;
  templateLanguage?: string;
  apiVersion?: string;
  /** Where status webhooks go (also settable later with `setWebhookUrl`); none: nothing is posted. */
  webhookUrl?: string;
  /** Delays after the send of the sent, delivered and read webhooks; null (default): only `advance` moves. */
  statusDelaysMs?: { sent: number; delivered: number; read: number } | null;
  /** Pause between retries of a webhook the receiver did not answer with 2xx (default 50 ms). */
  retryDelayMs?: number;
  /** Attempts per webhook before the fake gives up (default 5). */
  maxWebhookAttempts?: number;
}

/** A message the fake accepted, with the codes it found in the template's body and button. */
export interface WhatsAppFakeMessage extends FakeMessage {
  templateName: string;
  language: string;
  bodyCode: string;
  buttonCode: string;
  /** The statuses reported so far, in order. */
  statuses: string[];
  /** 131026 when the recipient is not a WhatsApp user. */
  errorCode: number | null;
}

export interface WhatsAppWebhook {
  body: string;
  headers: Record<string, string>;
}

/** One POST of a status webhook, as the fake made it. */
export interface WhatsAppWebhookAttempt {
  messageId: string;
  status: string;
  attempt: number;
  /** The receiver's HTTP status, or 0 when it could not be reached. */
  responseStatus: number;
}

export interface WhatsAppFake extends Omit<FakeVendor, 'provider' | 'messages'> {
  provider: 'whatsapp';
  accessToken: string;
  phoneNumberId: string;
  appSecret: string;
  verifyToken: string;
  templateName: string;
  templateLanguage: string;
  apiVersion: string;
  messages: WhatsAppFakeMessage[];
  webhookAttempts: WhatsAppWebhookAttempt[];
  setWebhookUrl(url: string | null): void;
  /** Moves a message one step (sent → delivered → read, or sent → failed 131026) and posts its webhook. */
  advance(messageId: string): Promise<void>;
  /** Switch: messages stay at `sent` (no delivered/read ever comes). */
  neverDeliver(enabled: boolean): void;
  /**
   * These numbers (digits, no `+`) are not WhatsApp users: Meta accepts the send and later reports `failed`
   * with 131026 by webhook (how Meta reports it; `synchronously` answers the send with the Graph error instead).
   */
  notWhatsAppUsers(numbers: string[], synchronously?: boolean): void;
  /** Every send answers 400 with code 130429 (Cloud API throughput reached). */
  rateLimit(enabled: boolean): void;
  /** The token has expired: 401 with code 190. */
  expireToken(enabled: boolean): void;
  /** A status webhook for a message, signed with the app secret as Meta signs it. */
  statusWebhook(messageId: string, status: string, errorCode?: number): WhatsAppWebhook;
  /** The same webhook signed with another secret. */
  forgedWebhook(messageId: string, status: string, errorCode?: number): WhatsAppWebhook;
  /** Meta's check of a callback URL: GET ?hub.mode=subscribe&hub.verify_token=…&hub.challenge=…. */
  checkSubscription(url: string, verifyToken?: string): Promise<{ status: number; text: string; challenge: string }>;
  /** Resolves when every webhook posted so far has been answered (or given up). */
  settled(): Promise<void>;
}

interface Switches {
  failSends: boolean;
  hangSends: boolean;
  neverDeliver: boolean;
  rateLimit: boolean;
  expiredToken: boolean;
  notUsers: Set<string>;
  notUsersSync: boolean;
}

const NEXT: Readonly<Record<string, string>> = { sent: 'delivered', delivered: 'read' };

export async function startWhatsAppFake(options: WhatsAppFakeOptions = {}): Promise<WhatsAppFake> {
  const account = {
    accessToken: options.accessToken ?? `EAAG${hex(24)}`,
    phoneNumberId: options.phoneNumberId ?? String(100000000000000 + Math.floor(Math.random() * 1e14)),
    appSecret: options.appSecret ?? hex(16),
    verifyToken: options.verifyToken ?? hex(12),
    templateName: options.templateName ?? 'sms_auth_code',
    templateLanguage: options.templateLanguage ?? 'en_US',
    apiVersion: options.apiVersion ?? 'v25.0',
  };
  const switches: Switches = {
    failSends: false,
    hangSends: false,
    neverDeliver: false,
    rateLimit: false,
    expiredToken: false,
    notUsers: new Set(),
    notUsersSync: false,
  };
  const retryDelayMs = options.retryDelayMs ?? 50;
  const maxAttempts = options.maxWebhookAttempts ?? 5;
  let webhookUrl = options.webhookUrl ?? null;
  const messages: WhatsAppFakeMessage[] = [];
  const webhookAttempts: WhatsAppWebhookAttempt[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const inFlight = new Set<Promise<void>>();
  let closed = false;

  const mustFind = (id: string) =>
    messages.find((message) => message.id === id) ?? fail(`whatsapp fake: no message ${id}`);

  const later = (ms: number, run: () => void) => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      run();
    }, ms);
    timers.add(timer);
  };

  const signed = (secret: string, messageId: string, status: string, errorCode?: number): WhatsAppWebhook => {
    const message = messages.find((candidate) => candidate.id === messageId);
    const body = JSON.stringify(
      statusPayload(account.phoneNumberId, messageId, message?.to ?? '77000000000', status, errorCode),
    );
    return {
      body,
      headers: {
        'content-type': 'application/json',
        'user-agent': 'facebookexternalua',
        'x-hub-signature-256': `sha256=${createHmac('sha256', secret).update(body, 'utf8').digest('hex')}`,
      },
    };
  };

  /** POSTs one status to the webhook URL, retrying while the answer is not 2xx. */
  const post = (messageId: string, status: string, errorCode?: number): Promise<void> => {
    const url = webhookUrl;
    if (!url || closed) return Promise.resolve();
    const webhook = signed(account.appSecret, messageId, status, errorCode);
    const run = (async () => {
      for (let attempt = 1; attempt <= maxAttempts && !closed; attempt += 1) {
        let responseStatus = 0;
        try {
          const response = await fetch(url, { method: 'POST', headers: webhook.headers, body: webhook.body });
          responseStatus = response.status;
          await response.text();
        } catch {
          responseStatus = 0;
        }
        webhookAttempts.push({ messageId, status, attempt, responseStatus });
        if (responseStatus >= 200 && responseStatus < 300) return;
        await new Promise((resolve) => setTimeout(resolve, retryDelayMs * attempt));
      }
    })();
    inFlight.add(run);
    void run.finally(() => inFlight.delete(run));
    return run;
  };

  const moveTo = (message: WhatsAppFakeMessage, status: string, errorCode?: number): Promise<void> => {
    message.statuses.push(status);
    if (errorCode) message.errorCode = errorCode;
    return post(message.id, status, errorCode);
  };

  const advance = (id: string): Promise<void> => {
    const message = mustFind(id);
    const current = message.statuses.at(-1);
    if (!current) return moveTo(message, 'sent');
    if (current === 'sent' && switches.notUsers.has(message.to)) return moveTo(message, 'failed', 131026);
    if (current === 'sent' && switches.neverDeliver) return Promise.resolve();
    const next = NEXT[current];
    return next ? moveTo(message, next) : Promise.resolve();
  };

  const schedule = (message: WhatsAppFakeMessage) => {
    const delays = options.statusDelaysMs;
    if (!delays) return;
    later(delays.sent, () => void advance(message.id));
    later(delays.delivered, () => void advance(message.id));
    later(delays.read, () => void advance(message.id));
  };

  const handler = (request: RecordedRequest): FakeReply => {
    const auth = String(request.headers.authorization ?? '');
    if (!auth.startsWith('Bearer ') || auth.slice('Bearer '.length) !== account.accessToken)
      return graphError(401, 190, 'Invalid OAuth access token - Cannot parse access token');
    if (switches.expiredToken) {
      return graphError(401, 190, 'Error validating access token: Session has expired.', {
        error_subcode: 463,
      });
    }
    if (request.method !== 'POST' || request.path !== `/${account.apiVersion}/${account.phoneNumberId}/messages`) {
      return graphError(
        400,
        100,
        `Unsupported ${request.method.toLowerCase()} request. Object with ID '${request.path.split('/')[2] ?? ''}' does not exist, cannot be loaded due to missing permissions, or does not support this operation.`,
      );
    }
    if (switches.hangSends) return { status: 200, hang: true };
    if (switches.failSends) return graphError(500, 131000, 'Something went wrong', {}, 'Something went wrong');
    if (switches.rateLimit) {
      return graphError(400, 130429, '(#130429) Rate limit hit', {}, 'Cloud API message throughput has been reached.');
    }
    const checked = checkTemplateMessage(request, account);
    if ('reply' in checked) return checked.reply;
    const { to, code } = checked;
    if (switches.notUsersSync && switches.notUsers.has(to)) {
      return graphError(400, 131026, '(#131026) Message undeliverable', {}, 'Message Undeliverable.');
    }
    const message: WhatsAppFakeMessage = {
      id: `wamid.${Buffer.from(`HBgL${to}${hex(12)}`).toString('base64')}`,
      to,
      text: code,
      templateName: account.templateName,
      language: account.templateLanguage,
      bodyCode: code,
      buttonCode: code,
      statuses: [],
      errorCode: null,
    };
    messages.push(message);
    schedule(message);
    return {
      status: 200,
      body: {
        messaging_product: 'whatsapp',
        contacts: [{ input: checked.input, wa_id: to }],
        messages: [{ id: message.id }],
      },
    };
  };

  const server = await startFakeHttpServer(handler);

  return {
    provider: 'whatsapp',
    ...account,
    server,
    env: {
      SMS_PROVIDER: 'whatsapp',
      WHATSAPP_ACCESS_TOKEN: account.accessToken,
      WHATSAPP_PHONE_NUMBER_ID: account.phoneNumberId,
      WHATSAPP_TEMPLATE_NAME: account.templateName,
      WHATSAPP_TEMPLATE_LANGUAGE: account.templateLanguage,
      WHATSAPP_API_VERSION: account.apiVersion,
      WHATSAPP_APP_SECRET: account.appSecret,
      WHATSAPP_VERIFY_TOKEN: account.verifyToken,
      WHATSAPP_API_URL: server.origin,
    },
    requests: server.requests,
    messages,
    webhookAttempts,
    setWebhookUrl: (url) => void (webhookUrl = url),
    failSends: (enabled) => void (switches.failSends = enabled),
    hangSends: (enabled) => void (switches.hangSends = enabled),
    deliver: (id) => {
      const message = mustFind(id);
      if (!message.statuses.includes('sent')) void moveTo(message, 'sent');
      void moveTo(message, 'delivered');
    },
    advance,
    neverDeliver: (enabled) => void (switches.neverDeliver = enabled),
    notWhatsAppUsers: (numbers, synchronously = false) => {
      switches.notUsers = new Set(numbers);
      switches.notUsersSync = synchronously;
    },
    rateLimit: (enabled) => void (switches.rateLimit = enabled),
    expireToken: (enabled) => void (switches.expiredToken = enabled),
    statusWebhook: (id, status, errorCode) => signed(account.appSecret, id, status, errorCode),
    forgedWebhook: (id, status, errorCode) => signed(`not-${account.appSecret}`, id, status, errorCode),
    checkSubscription: async (url, verifyToken = account.verifyToken) => {
      const challenge = String(Math.floor(Math.random() * 1e9));
      const query = new URLSearchParams({
        'hub.mode': 'subscribe',
        'hub.challenge': challenge,
        'hub.verify_token': verifyToken,
      });
      const response = await fetch(`${url}?${query.toString()}`);
      return { status: response.status, text: await response.text(), challenge };
    },
    settled: async () => {
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
    },
    close: async () => {
      closed = true;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      await Promise.allSettled([...inFlight]);
      await server.close();
    },
  };
}

type TemplateCheck = { to: string; input: string; code: string } | { reply: FakeReply };

/** The checks Meta applies to an authentication-template send, in a plausible order. */
function checkTemplateMessage(
  request: RecordedRequest,
  account: { templateName: string; templateLanguage: string },
): TemplateCheck {
  const invalid = (details: string): TemplateCheck => ({
    reply: graphError(400, 100, '(#100) Invalid parameter', {}, details),
  });
  const body = request.json as Record<string, any> | undefined;
  if (!String(request.headers['content-type'] ?? '').includes('application/json') || !body || typeof body !== 'object')
    return invalid('The request body must be JSON');
  if (body.messaging_product !== 'whatsapp') return invalid('messaging_product must be "whatsapp"');
  const input = typeof body.to === 'string' ? body.to : '';
  const to = input.replace(/^\+/, '');
  if (!/^[1-9]\d{6,14}$/.test(to)) return invalid(`Invalid recipient phone number: ${input}`);
  if (body.type !== 'template' || typeof body.template !== 'object' || body.template === null)
    return invalid('type must be "template" with a template object');
  const { template } = body;
  if (template.name !== account.templateName || template.language?.code !== account.templateLanguage) {
    return {
      reply: graphError(
        404,
        132001,
        '(#132001) Template name does not exist in the translation',
        {},
        `template name (${String(template.name)}) does not exist in ${String(template.language?.code)}`,
      ),
    };
  }
  const components: any[] = Array.isArray(template.components) ? template.components : [];
  const bodyComponent = components.filter((component) => component?.type === 'body');
  const buttons = components.filter((component) => component?.type === 'button');
  const mismatch = (details: string): TemplateCheck => ({
    reply: graphError(
      400,
      132000,
      '(#132000) Number of parameters does not match the expected number of params',
      {},
      details,
    ),
  });
  if (components.length !== 2 || bodyComponent.length !== 1 || buttons.length !== 1)
    return mismatch('An authentication template takes one body and one button component');
  const [button] = buttons;
  if (button.sub_type !== 'url' || String(button.index) !== '0')
    return invalid('The copy-code button is the url button at index 0');
  const bodyCode = singleText(bodyComponent[0].parameters);
  const buttonCode = singleText(button.parameters);
  if (bodyCode === null)
    return mismatch('body: number of localizable_params (0) does not match the expected number (1)');
  if (buttonCode === null) return mismatch('button: number of parameters does not match the expected number (1)');
  if (bodyCode.length > 15 || buttonCode.length > 15) return invalid('One-time passwords are at most 15 characters');
  // Meta copies whatever the button carries: a fake that lets them differ would hide a wrong code.
  if (bodyCode !== buttonCode) return invalid('The copy-code button must carry the code of the body');
  return { to, input, code: bodyCode };
}

function singleText(parameters: unknown): string | null {
  if (!Array.isArray(parameters) || parameters.length !== 1) return null;
  const [parameter] = parameters as { type?: unknown; text?: unknown }[];
  return parameter?.type === 'text' && typeof parameter.text === 'string' && parameter.text ? parameter.text : null;
}

function graphError(
  status: number,
  code: number,
  message: string,
  extra: Record<string, unknown> = {},
  details?: string,
): FakeReply {
  return {
    status,
    body: {
      error: {
        message,
        type: 'OAuthException',
        code,
        ...extra,
        ...(details ? { error_data: { messaging_product: 'whatsapp', details } } : {}),
        fbtrace_id: `A${hex(10)}`,
      },
    },
  };
}

function statusPayload(
  phoneNumberId: string,
  messageId: string,
  recipient: string,
  status: string,
  errorCode?: number,
): Record<string, unknown> {
  const entry: Record<string, unknown> = {
    id: messageId,
    status,
    timestamp: String(Math.floor(Date.now() / 1000)),
    recipient_id: recipient,
  };
  if (status === 'sent' || status === 'delivered') {
    entry.pricing = { billable: true, pricing_model: 'PMP', category: 'authentication', type: 'regular' };
  }
  if (errorCode) {
    entry.errors = [
      {
        code: errorCode,
        title: errorCode === 131026 ? 'Message undeliverable' : 'Error',
        message: errorCode === 131026 ? 'Message undeliverable' : 'Error',
        error_data: { details: errorCode === 131026 ? 'Message Undeliverable.' : 'Error' },
      },
    ];
  }
  return {
    object: 'whatsapp_business_account',
    entry: [
      {
        id: '102290129340398',
        changes: [
          {
            value: {
              messaging_product: 'whatsapp',
              metadata: { display_phone_number: '15550783881', phone_number_id: phoneNumberId },
              statuses: [entry],
            },
            field: 'messages',
          },
        ],
      },
    ],
  };
}

function hex(bytes: number): string {
  return randomBytes(bytes).toString('hex');
}

function fail(message: string): never {
  throw new Error(message);
}
