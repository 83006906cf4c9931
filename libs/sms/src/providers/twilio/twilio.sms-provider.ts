import { isRecord } from '../../http/vendor-format';
import { VendorHttpClient, type VendorResponse } from '../../http/vendor-http-client';
import { WebhookRejectedError } from '../../sms-provider.error';
import type {
  DeliveryReport,
  SmsBalance,
  SmsMessage,
  SmsProvider,
  SmsSendResult,
  WebhookRequest,
} from '../../sms-provider.interface';
import { type HttpAdapterOptions, httpAdapterOptions } from '../provider-options';
import { twilioFailure, twilioFault } from './twilio-errors';
import { isValidTwilioSignature } from './twilio-signature';
import { mapTwilioStatus } from './twilio-status';
import { DeliveryChannel } from '../../delivery-channel';

export interface TwilioOptions extends HttpAdapterOptions {
  accountSid: string;
  authToken: string;
  /** A Twilio number, short code or alphanumeric sender; ignored when `messagingServiceSid` is set. */
  from?: string;
  /** `MG…`: lets the Messaging Service pick the sender. Preferred over `from`. */
  messagingServiceSid?: string;
  /** Sent as `StatusCallback`: where Twilio posts status changes. */
  statusCallbackUrl?: string;
  /** Completes a webhook URL that arrives as a bare path. */
  publicBaseUrl?: string;
}

/** The fields we read from Twilio's message resource. */
interface TwilioMessage {
  sid: string;
  status: string;
  errorCode: string | null;
}

const API_PATH = '/2010-04-01';

/** Twilio Programmable Messaging over its REST API (providers.md §4), with status callbacks. */
export class TwilioSmsProvider implements SmsProvider {
  readonly channel = DeliveryChannel.Sms;
  readonly name = 'twilio';
  private readonly http: VendorHttpClient;

  constructor(private readonly options: TwilioOptions) {
    this.http = new VendorHttpClient({
      provider: this.name,
      vendor: 'Twilio',
      ...httpAdapterOptions(options),
      serverFault: (response) => twilioFault(response, this.secrets()),
    });
  }

  async send({ to, text }: SmsMessage): Promise<SmsSendResult> {
    const response = await this.http.request({
      method: 'POST',
      path: this.accountPath('/Messages.json'),
      headers: { ...this.authHeaders(), 'Content-Type': 'application/x-www-form-urlencoded' },
      body: this.sendForm(to, text).toString(),
    });
    const message = this.readMessage(response);
    return { messageId: message.sid, status: mapTwilioStatus(message.status) };
  }

  async fetchStatus(messageId: string): Promise<DeliveryReport> {
    const response = await this.http.request({
      method: 'GET',
      path: this.accountPath(`/Messages/${encodeURIComponent(messageId)}.json`),
      headers: this.authHeaders(),
    });
    const message = this.readMessage(response);
    return {
      messageId,
      status: mapTwilioStatus(message.status),
      providerStatus: message.status,
      errorCode: message.errorCode,
    };
  }

  async fetchBalance(): Promise<SmsBalance> {
    const response = await this.http.request({
      method: 'GET',
      path: this.accountPath('/Balance.json'),
      headers: this.authHeaders(),
    });
    if (!isSuccess(response)) throw this.failure(response);
    const { balance, currency } = asObject(response.json) ?? {};
    if (typeof balance !== 'string' && typeof balance !== 'number') throw this.http.malformed(response);
    return { balance: String(balance), currency: typeof currency === 'string' && currency ? currency : null };
  }

  /** One status callback (form fields MessageSid, MessageStatus, ErrorCode), authenticated by X-Twilio-Signature. */
  parseDeliveryReport(request: WebhookRequest): DeliveryReport[] {
    this.authenticate(request);
    const messageId = formValue(request.body, 'MessageSid') ?? formValue(request.body, 'SmsSid');
    const providerStatus = formValue(request.body, 'MessageStatus') ?? formValue(request.body, 'SmsStatus');
    // A signed callback about something else (e.g. an inbound message) carries no report for us.
    if (!messageId || !providerStatus) return [];
    const errorCode = formValue(request.body, 'ErrorCode') || null;
    return [{ messageId, status: mapTwilioStatus(providerStatus), providerStatus, errorCode }];
  }

  private sendForm(to: string, text: string): URLSearchParams {
    const form = new URLSearchParams({ To: to });
    if (this.options.messagingServiceSid) form.set('MessagingServiceSid', this.options.messagingServiceSid);
    else if (this.options.from) form.set('From', this.options.from);
    form.set('Body', text);
    if (this.options.statusCallbackUrl) form.set('StatusCallback', this.options.statusCallbackUrl);
    return form;
  }

  private readMessage(response: VendorResponse): TwilioMessage {
    if (!isSuccess(response)) throw this.failure(response);
    const message = asTwilioMessage(response.json);
    if (!message) throw this.http.malformed(response);
    return message;
  }

  private authenticate(request: WebhookRequest): void {
    const { authToken } = this.options;
    if (!authToken)
      throw new WebhookRejectedError(this.name, 'no Twilio auth token is configured to check the signature');
    const signature = headerValue(request.headers, 'x-twilio-signature');
    if (!signature) throw new WebhookRejectedError(this.name, 'X-Twilio-Signature is missing');
    if (!isValidTwilioSignature(authToken, signature, this.absoluteUrl(request.url), request.body)) {
      throw new WebhookRejectedError(this.name, 'X-Twilio-Signature does not match');
    }
  }

  private absoluteUrl(url: string): string {
    const base = this.options.publicBaseUrl;
    return url.startsWith('/') && base ? `${base.replace(/\/+$/, '')}${url}` : url;
  }

  private failure(response: VendorResponse) {
    return twilioFailure(this.http, response, this.secrets());
  }

  /** What Twilio's texts must not echo into our errors. */
  private secrets(): string[] {
    return [this.options.authToken, this.options.accountSid];
  }

  private accountPath(path: string): string {
    return `${API_PATH}/Accounts/${encodeURIComponent(this.options.accountSid)}${path}`;
  }

  private authHeaders(): Record<string, string> {
    const credentials = Buffer.from(`${this.options.accountSid}:${this.options.authToken}`).toString('base64');
    return { Authorization: `Basic ${credentials}`, Accept: 'application/json' };
  }
}

function isSuccess(response: VendorResponse): boolean {
  return response.status >= 200 && response.status < 300;
}

function asObject(json: unknown): Record<string, unknown> | null {
  return isRecord(json) ? json : null;
}

function asTwilioMessage(json: unknown): TwilioMessage | null {
  const message = asObject(json);
  if (!message || typeof message.sid !== 'string' || !message.sid || typeof message.status !== 'string') return null;
  const errorCode = message.error_code;
  return {
    sid: message.sid,
    status: message.status,
    errorCode: typeof errorCode === 'number' || (typeof errorCode === 'string' && errorCode) ? String(errorCode) : null,
  };
}

/** A form field as a string; the first value when the key was repeated. */
function formValue(body: Record<string, unknown>, name: string): string | undefined {
  const value = Array.isArray(body[name]) ? (body[name] as unknown[])[0] : body[name];
  return typeof value === 'string' || typeof value === 'number' ? String(value) : undefined;
}

function headerValue(headers: WebhookRequest['headers'], name: string): string | undefined {
  const key = Object.keys(headers).find((header) => header.toLowerCase() === name);
  return key ? headers[key] : undefined;
}
