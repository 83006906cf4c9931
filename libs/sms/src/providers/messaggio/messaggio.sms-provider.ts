import { DeliveryStatus } from '../../delivery-status';
import { constantTimeEqual } from '@app/common';
import { digitsOnly, isArray, isRecord } from '../../http/vendor-format';
import { type VendorFault, VendorHttpClient, type VendorResponse } from '../../http/vendor-http-client';
import { SmsProviderError, WebhookRejectedError } from '../../sms-provider.error';
import type {
  DeliveryReport,
  SmsMessage,
  SmsProvider,
  SmsSendResult,
  WebhookRequest,
} from '../../sms-provider.interface';
import { type HttpAdapterOptions, httpAdapterOptions } from '../provider-options';
import { messaggioDeliveryStatus } from './messaggio-status';
import { DeliveryChannel } from '../../delivery-channel';

export interface MessaggioOptions extends HttpAdapterOptions {
  /** The project's "Project Login", sent as the `Messaggio-Login` header. */
  login: string;
  /** The sender's "Code for API" (not its displayed name). */
  sender: string;
  /** The secret path segment delivery reports must arrive at; without it every report is refused. */
  webhookToken?: string;
  /** Sent with each message as `options.dlr_callback_url`. */
  callbackUrl?: string;
}

/** A failure body: `{title, detail}` (whole request) or a recipient's `error` (inside an HTTP 200). */
interface MessaggioProblem {
  title?: string;
  detail?: string;
}

const MAX_PROVIDER_CODE_LENGTH = 64;

/**
 * Messaggio Multichannel API v1: JSON in and out, authenticated by the `Messaggio-Login` header.
 * A refused recipient still gets HTTP 200, with `messages[0].error`. There is no balance endpoint.
 */
export class MessaggioSmsProvider implements SmsProvider {
  readonly channel = DeliveryChannel.Sms;
  readonly name = 'messaggio';
  private readonly http: VendorHttpClient;

  constructor(private readonly options: MessaggioOptions) {
    this.http = new VendorHttpClient({
      provider: this.name,
      vendor: 'Messaggio',
      ...httpAdapterOptions(options),
      serverFault: (response) => this.fault(response),
    });
  }

  async send({ to, text }: SmsMessage): Promise<SmsSendResult> {
    const response = await this.post('/send', {
      recipients: [{ phone: digitsOnly(to) }],
      channels: ['sms'],
      ...(this.options.callbackUrl ? { options: { dlr_callback_url: this.options.callbackUrl } } : {}),
      sms: { from: this.options.sender, content: [{ type: 'text', text }] },
    });
    const messages = isRecord(response.json) ? response.json.messages : undefined;
    const message = isArray(messages) ? messages[0] : undefined;
    if (!isRecord(message)) throw this.http.malformed(response);
    if (isRecord(message.error)) throw this.recipientRefused(readProblem(message.error));
    if (typeof message.message_id !== 'string' || !message.message_id) throw this.http.malformed(response);
    return { messageId: message.message_id, status: DeliveryStatus.Queued };
  }

  async fetchStatus(messageId: string): Promise<DeliveryReport> {
    const response = await this.post('/statuses', {
      recipients: [{ id: messageId }],
      channels: ['sms'],
      sms: [{ from: this.options.sender }],
    });
    const statuses = isRecord(response.json) ? response.json.statuses : undefined;
    if (!isArray(statuses)) throw this.http.malformed(response);
    // Several events may be listed for one message; the last is taken as the newest.
    const entry = statuses.filter((item) => isRecord(item) && item.message_id === messageId).pop();
    const code = isRecord(entry) ? statusCode(isRecord(entry.status) ? entry.status.status : entry.status) : null;
    if (code === null)
      throw new SmsProviderError(
        'rejected',
        this.name,
        'not_found',
        `Messaggio does not report a status for message ${messageId}`,
      );
    return report(messageId, code);
  }

  parseDeliveryReport({ body, pathToken }: WebhookRequest): DeliveryReport[] {
    this.verifyPathToken(pathToken);
    const code = statusCode(body.status);
    const isStatusEvent = body.type === undefined || body.type === 'status';
    if (!isStatusEvent || typeof body.message_id !== 'string' || !body.message_id || code === null) return [];
    return [report(body.message_id, code)];
  }

  /** Messaggio does not sign its callbacks: the unguessable URL is the only proof of origin. */
  private verifyPathToken(pathToken: string | undefined): void {
    const token = this.options.webhookToken;
    if (!token) throw new WebhookRejectedError(this.name, 'no Messaggio webhook token is configured');
    if (!pathToken || !constantTimeEqual(pathToken, token))
      throw new WebhookRejectedError(this.name, 'wrong or missing path token');
  }

  private async post(path: string, body: unknown): Promise<VendorResponse> {
    const response = await this.http.request({
      method: 'POST',
      path,
      headers: {
        'Messaggio-Login': this.options.login,
        'Content-Type': 'application/json',
        Accept: 'application/json',
      },
      body: JSON.stringify(body),
    });
    if (response.status < 200 || response.status >= 300) throw this.requestFailed(response);
    return response;
  }

  /**
   * Rate limits and stray redirects are temporary, as are server errors (mapped by the HTTP client through
   * `fault`); other 4xx (bad login, validation, funds) refuse this request.
   */
  private requestFailed(response: VendorResponse): SmsProviderError {
    const { status } = response;
    const { code: providerCode, detail: reason } = this.fault(response);
    const temporary = status === 408 || status === 429 || status < 400;
    return temporary
      ? new SmsProviderError(
          'unavailable',
          this.name,
          providerCode,
          `Messaggio could not serve the request (HTTP ${status}): ${reason}`,
        )
      : new SmsProviderError(
          'rejected',
          this.name,
          providerCode,
          `Messaggio refused the request (HTTP ${status}): ${reason}`,
        );
  }

  /** The `{title, detail}` body: the title is the code, else the HTTP status. */
  private fault(response: VendorResponse): Required<VendorFault> {
    const problem = isRecord(response.json) ? readProblem(response.json) : {};
    return {
      code: problem.title ? this.providerCodeOf(problem.title) : `http_${response.status}`,
      detail: this.describe(problem),
    };
  }

  private recipientRefused(problem: MessaggioProblem): SmsProviderError {
    const providerCode = problem.title ? this.providerCodeOf(problem.title) : 'recipient_error';
    return new SmsProviderError(
      'rejected',
      this.name,
      providerCode,
      `Messaggio refused the recipient: ${this.describe(problem)}`,
    );
  }

  private describe({ title, detail }: MessaggioProblem): string {
    return this.redact([title, detail].filter(Boolean).join(': ') || 'no reason given');
  }

  /** The vendor's `title` is free text; the delivery record keeps at most 64 characters of a code. */
  private providerCodeOf(title: string): string {
    return this.redact(title).slice(0, MAX_PROVIDER_CODE_LENGTH);
  }

  /** Vendor texts are quoted in our errors; make sure none of them echoes the project login. */
  private redact(text: string): string {
    return this.options.login ? text.split(this.options.login).join('***') : text;
  }
}

function report(messageId: string, code: number): DeliveryReport {
  return { messageId, status: messaggioDeliveryStatus(code), providerStatus: String(code), errorCode: null };
}

/** Status codes are integers; tolerate them arriving as numeric strings. */
function statusCode(value: unknown): number | null {
  if (typeof value !== 'number' && (typeof value !== 'string' || value.trim() === '')) return null;
  const code = Number(value);
  return Number.isInteger(code) ? code : null;
}

function readProblem(body: Record<string, unknown>): MessaggioProblem {
  return {
    title: typeof body.title === 'string' && body.title ? body.title : undefined,
    detail: typeof body.detail === 'string' && body.detail ? body.detail : undefined,
  };
}
