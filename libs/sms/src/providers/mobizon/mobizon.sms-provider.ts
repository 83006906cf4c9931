import { createHash } from 'node:crypto';
import { DeliveryStatus } from '../../delivery-status';
import { constantTimeEqual, maskSecrets } from '@app/common';
import { digitsOnly, isArray, isRecord, scalarText } from '../../http/vendor-format';
import { type VendorFault, VendorHttpClient, type VendorResponse } from '../../http/vendor-http-client';
import { SmsProviderError, WebhookRejectedError } from '../../sms-provider.error';
import type {
  DeliveryReport,
  SmsBalance,
  SmsMessage,
  SmsProvider,
  SmsSendResult,
  WebhookRequest,
} from '../../sms-provider.interface';
import { type HttpAdapterOptions, httpAdapterOptions } from '../provider-options';
import { mobizonDeliveryStatus } from './mobizon-status';
import { DeliveryChannel } from '../../delivery-channel';

export interface MobizonOptions extends HttpAdapterOptions {
  apiKey: string;
  /** A registered sender ID; without it Mobizon uses the account's default sender. */
  sender?: string;
  /** The "secret key" of the dashboard's SMS-status webhook; without it every delivery report is refused. */
  webhookSecret?: string;
}

/** Every Mobizon reply, success or not: `{code, data, message}`. */
interface MobizonEnvelope {
  code: number;
  data: unknown;
  message: string;
}

/** 100 = "background task started": not an error. */
const SUCCESS_CODES = new Set([0, 100]);
const WRONG_DOMAIN_CODE = 13;
/** Bad key, access denied, account blocked; validation errors, missing parameters, limits; wrong domain. */
const REJECTED_CODES = new Set([8, 9, 14, 1, 11, 12, WRONG_DOMAIN_CODE]);
const DELIVERY_REPORT_EVENT = 'sms-delivery-report';

/**
 * Mobizon (api.mobizon.kz and its regional twins). Auth is the `apiKey` query parameter; parameters go
 * in a form body; the PHP SDK ignores the HTTP status and reads the envelope's `code`, and so do we,
 * except that an HTTP 5xx always means an outage (the HTTP client maps it, with the envelope's code).
 */
export class MobizonSmsProvider implements SmsProvider {
  readonly channel = DeliveryChannel.Sms;
  readonly name = 'mobizon';
  private readonly http: VendorHttpClient;

  constructor(private readonly options: MobizonOptions) {
    this.http = new VendorHttpClient({
      provider: this.name,
      vendor: 'Mobizon',
      ...httpAdapterOptions(options),
      serverFault: (response) => this.serverFault(response),
    });
  }

  async send({ to, text }: SmsMessage): Promise<SmsSendResult> {
    const form = new URLSearchParams({ recipient: digitsOnly(to), text });
    if (this.options.sender) form.set('from', this.options.sender);
    const { data, response } = await this.call('message/sendsmsmessage', form);
    const messageId = isRecord(data) ? idString(data.messageId) : null;
    if (!messageId) throw this.http.malformed(response);
    // The reply's `status` is the campaign's (1 = awaiting moderation, 2 = sent without it): queued either way.
    return { messageId, status: DeliveryStatus.Queued };
  }

  async fetchStatus(messageId: string): Promise<DeliveryReport> {
    const { data, response } = await this.call('message/getsmsstatus', new URLSearchParams({ 'ids[0]': messageId }));
    if (!isArray(data)) throw this.http.malformed(response);
    // Mobizon silently leaves out ids it does not know.
    const entry = data.find((item) => isRecord(item) && idString(item.id) === messageId);
    const status = isRecord(entry) ? scalarText(entry.status) : null;
    if (status === null) {
      throw new SmsProviderError(
        'rejected',
        this.name,
        'not_found',
        `Mobizon does not report a status for message ${messageId}`,
      );
    }
    return this.report(messageId, status);
  }

  async fetchBalance(): Promise<SmsBalance> {
    const { data, response } = await this.call('user/getownbalance', new URLSearchParams());
    if (!isRecord(data) || (typeof data.balance !== 'string' && typeof data.balance !== 'number'))
      throw this.http.malformed(response);
    return { balance: String(data.balance), currency: typeof data.currency === 'string' ? data.currency : null };
  }

  parseDeliveryReport({ body }: WebhookRequest): DeliveryReport[] {
    this.verifySign(body);
    if (body.eventType !== DELIVERY_REPORT_EVENT || !isRecord(body.data)) return [];
    const messageId = idString(body.data.messageId);
    const status = scalarText(body.data.status);
    if (!messageId || status === null) return [];
    return [this.report(messageId, status)];
  }

  /** `sign = sha1_hex(eventId|attempt|eventCreateTs|secret)`; Mobizon sends no sign when no secret is set. */
  private verifySign(body: Record<string, unknown>): void {
    const secret = this.options.webhookSecret;
    if (!secret) throw new WebhookRejectedError(this.name, 'no Mobizon webhook secret is configured');
    const { sign } = body;
    const [eventId, attempt, eventCreateTs] = [body.eventId, body.attempt, body.eventCreateTs].map(scalarText);
    if (typeof sign !== 'string' || !sign) throw new WebhookRejectedError(this.name, 'the report carries no sign');
    if (eventId === null || attempt === null || eventCreateTs === null)
      throw new WebhookRejectedError(this.name, 'the report lacks the signed fields');
    const expected = createHash('sha1').update(`${eventId}|${attempt}|${eventCreateTs}|${secret}`).digest('hex');
    if (!constantTimeEqual(sign.toLowerCase(), expected)) throw new WebhookRejectedError(this.name, 'wrong sign');
  }

  private report(messageId: string, providerStatus: string): DeliveryReport {
    return { messageId, status: mobizonDeliveryStatus(providerStatus), providerStatus, errorCode: null };
  }

  /** POSTs `form` to `/service/<module>/<method>` and returns the envelope's `data`, or throws the mapped failure. */
  private async call(method: string, form: URLSearchParams): Promise<{ data: unknown; response: VendorResponse }> {
    const response = await this.http.request({
      method: 'POST',
      path: this.path(method),
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
      body: form.toString(),
    });
    const envelope = readEnvelope(response.json);
    if (!envelope) throw this.http.malformed(response);
    if (!SUCCESS_CODES.has(envelope.code)) throw this.failure(envelope);
    return { data: envelope.data, response };
  }

  /** An HTTP 5xx: the envelope's code when the body has one, else the status. */
  private serverFault(response: VendorResponse): VendorFault {
    const envelope = readEnvelope(response.json);
    if (!envelope) return { code: `http_${response.status}` };
    return { code: String(envelope.code), detail: envelope.message ? this.redact(envelope.message) : undefined };
  }

  private path(method: string): string {
    const query = new URLSearchParams({ output: 'json', api: 'v1', apiKey: this.options.apiKey });
    return `/service/${method}?${query.toString()}`;
  }

  private failure({ code, data, message }: MobizonEnvelope): SmsProviderError {
    const providerCode = String(code);
    if (code === WRONG_DOMAIN_CODE) {
      const domain = this.redact(typeof data === 'string' ? data : JSON.stringify(data));
      return new SmsProviderError(
        'rejected',
        this.name,
        providerCode,
        `Mobizon: the account belongs to the API domain ${domain}; point MOBIZON_API_URL at it`,
      );
    }
    const reason = this.redact(describeFailure(message, data));
    return REJECTED_CODES.has(code)
      ? new SmsProviderError(
          'rejected',
          this.name,
          providerCode,
          `Mobizon refused the request (code ${code}): ${reason}`,
        )
      : new SmsProviderError(
          'unavailable',
          this.name,
          providerCode,
          `Mobizon could not serve the request (code ${code}): ${reason}`,
        );
  }

  /** Vendor texts are quoted in our errors; make sure none of them echoes the API key. */
  private redact(text: string): string {
    return maskSecrets(text, [this.options.apiKey]);
  }
}

function readEnvelope(json: unknown): MobizonEnvelope | null {
  if (!isRecord(json) || json.code === null || json.code === '') return null;
  const code = Number(json.code);
  if (!Number.isInteger(code)) return null;
  return { code, data: json.data, message: typeof json.message === 'string' ? json.message : '' };
}

/** `message`, plus the per-field reasons a validation error (code 1) lists in `data`. */
function describeFailure(message: string, data: unknown): string {
  const fields = isRecord(data)
    ? Object.entries(data)
        .filter((entry): entry is [string, string] => typeof entry[1] === 'string')
        .map(([field, reason]) => `${field}: ${reason}`)
    : [];
  return [message, ...fields].filter(Boolean).join('; ') || 'no reason given';
}

/** The docs type ids as integers, the live API sends strings: accept both. */
function idString(value: unknown): string | null {
  if (typeof value === 'string' && value) return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return null;
}
