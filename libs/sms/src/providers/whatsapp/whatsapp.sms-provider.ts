import { constantTimeEqual } from '@app/common';
import { DeliveryChannel } from '../../delivery-channel';
import { DeliveryStatus } from '../../delivery-status';
import { digitsOnly, isArray, isRecord, scalarText } from '../../http/vendor-format';
import { VendorHttpClient, type VendorResponse } from '../../http/vendor-http-client';
import { SmsProviderError, WebhookRejectedError } from '../../sms-provider.error';
import type {
  DeliveryReport,
  SmsMessage,
  SmsProvider,
  SmsSendResult,
  WebhookRequest,
} from '../../sms-provider.interface';
import { type HttpAdapterOptions, httpAdapterOptions } from '../provider-options';
import { graphFailure, graphFault } from './whatsapp-errors';
import { isValidHubSignature } from './whatsapp-signature';
import { whatsAppDeliveryStatus } from './whatsapp-status';

export interface WhatsAppOptions extends HttpAdapterOptions {
  /** A system-user access token with whatsapp_business_messaging. */
  accessToken: string;
  /** The business phone number's id (not the number itself). */
  phoneNumberId: string;
  /** An approved authentication template with a copy-code button. */
  templateName: string;
  /** The template's language and locale code (`en_US`, `ru`). */
  templateLanguage: string;
  /** Graph API version, `v25.0`. */
  apiVersion: string;
  /** The Meta app's secret: the key of `X-Hub-Signature-256`. Without it every webhook is refused. */
  appSecret?: string;
  /** Our answer to Meta's subscription check. Without it the check is refused. */
  verifyToken?: string;
}

/**
 * Meta's limit on the one-time password of an authentication template (the "Sending authentication templates"
 * reference: "Maximum 15 characters"; confirmed).
 */
const MAX_CODE_LENGTH = 15;

/** What an echoed `hub.challenge` may contain (Meta sends a number): nothing that would make the echo a payload. */
const CHALLENGE = /^[\w.-]{1,256}$/;

/**
 * The WhatsApp Cloud API (providers.md §7) with an authentication template: the message carries our code
 * in its body and in its copy-code button. Status only arrives by signed webhooks (no status query exists).
 *
 * The time-to-live is a property of the template (`message_send_ttl_seconds`, 30–900 s for authentication
 * templates, default 600), set when the template is created, not per message: Meta's "Configure message
 * time-to-live" page, confirmed; a per-message `ttl_seconds` exists only in the Direct Send beta. The
 * template must therefore be created with a TTL ≤ OTP_TTL_SECONDS (README, "WhatsApp"); nothing here can
 * check that at runtime, so `otp.ttlSeconds` is not sent.
 */
export class WhatsAppCloudProvider implements SmsProvider {
  readonly channel = DeliveryChannel.WhatsApp;
  readonly name = 'whatsapp';
  private readonly http: VendorHttpClient;

  constructor(private readonly options: WhatsAppOptions) {
    this.http = new VendorHttpClient({
      provider: this.name,
      vendor: 'WhatsApp',
      ...httpAdapterOptions(options),
      serverFault: (response) => graphFault(response, this.secrets()),
    });
  }

  async send({ to, otp }: SmsMessage): Promise<SmsSendResult> {
    if (!otp) {
      throw new SmsProviderError('rejected', this.name, 'no_code', 'WhatsApp delivers the code itself: none was given');
    }
    if (otp.code.length > MAX_CODE_LENGTH) {
      throw new SmsProviderError(
        'rejected',
        this.name,
        'code_too_long',
        `WhatsApp authentication templates carry codes of at most ${MAX_CODE_LENGTH} characters`,
      );
    }
    const { apiVersion, phoneNumberId } = this.options;
    const response = await this.http.request({
      method: 'POST',
      path: `/${encodeURIComponent(apiVersion)}/${encodeURIComponent(phoneNumberId)}/messages`,
      headers: {
        Authorization: `Bearer ${this.options.accessToken}`,
        'Content-Type': 'application/json',
        Accept: 'application/json',
      },
      body: JSON.stringify(this.templateMessage(to, otp.code)),
    });
    if (response.status < 200 || response.status >= 300) throw graphFailure(this.http, response, this.secrets());
    return { messageId: this.messageId(response), status: DeliveryStatus.Sent };
  }

  /**
   * The `messages` webhook, authenticated by `X-Hub-Signature-256` over the raw body. Each
   * `entry[].changes[].value.statuses[]` is one report; inbound messages and other fields carry none.
   * "Not a WhatsApp user" (131026) arrives here, as a `failed` status after the send was accepted.
   */
  parseDeliveryReport(request: WebhookRequest): DeliveryReport[] {
    this.authenticate(request);
    const reports: DeliveryReport[] = [];
    for (const entry of arrayField(request.body, 'entry'))
      for (const change of arrayField(entry, 'changes'))
        for (const status of arrayField(isRecord(change) ? change.value : undefined, 'statuses')) {
          const report = statusReport(status);
          if (report) reports.push(report);
        }
    return reports;
  }

  /** Meta's subscription check: echoes `hub.challenge` when `hub.verify_token` is ours (constant-time compare). */
  answerSubscription(query: Record<string, unknown>): string {
    const { verifyToken } = this.options;
    if (!verifyToken) throw new WebhookRejectedError(this.name, 'no WHATSAPP_VERIFY_TOKEN is configured');
    const mode = scalarText(query['hub.mode']);
    const token = scalarText(query['hub.verify_token']);
    const challenge = scalarText(query['hub.challenge']);
    if (mode !== 'subscribe') throw new WebhookRejectedError(this.name, 'hub.mode is not "subscribe"');
    if (token === null || !constantTimeEqual(token, verifyToken))
      throw new WebhookRejectedError(this.name, 'hub.verify_token does not match');
    if (challenge === null || !CHALLENGE.test(challenge))
      throw new WebhookRejectedError(this.name, 'hub.challenge is missing or malformed');
    return challenge;
  }

  /**
   * The authentication template (Meta's "Sending authentication templates", confirmed): the code is the
   * body's one parameter and the parameter of the copy-code button, which the API calls a `url` button at
   * index "0". `to` is the number in digits without `+`, as Meta's examples show.
   */
  private templateMessage(to: string, code: string): Record<string, unknown> {
    return {
      messaging_product: 'whatsapp',
      recipient_type: 'individual',
      to: digitsOnly(to),
      type: 'template',
      template: {
        name: this.options.templateName,
        language: { code: this.options.templateLanguage },
        components: [
          { type: 'body', parameters: [{ type: 'text', text: code }] },
          { type: 'button', sub_type: 'url', index: '0', parameters: [{ type: 'text', text: code }] },
        ],
      },
    };
  }

  /** `messages[0].id`, the wamid. A 2xx without one is not definite: the message may be on its way. */
  private messageId(response: VendorResponse): string {
    const [message] = arrayField(response.json, 'messages');
    const id = isRecord(message) ? message.id : undefined;
    if (typeof id !== 'string' || !id) throw this.http.malformed(response);
    return id;
  }

  private authenticate(request: WebhookRequest): void {
    const { appSecret } = this.options;
    if (!appSecret) throw new WebhookRejectedError(this.name, 'no WHATSAPP_APP_SECRET is configured to check it');
    const signature = request.headers['x-hub-signature-256'];
    if (!signature) throw new WebhookRejectedError(this.name, 'X-Hub-Signature-256 is missing');
    if (!request.rawBody || !isValidHubSignature(appSecret, signature, request.rawBody))
      throw new WebhookRejectedError(this.name, 'X-Hub-Signature-256 does not match');
  }

  /** What Meta's texts must not echo into our errors. */
  private secrets(): string[] {
    return [this.options.accessToken];
  }
}

function arrayField(json: unknown, key: string): readonly unknown[] {
  const value = isRecord(json) ? json[key] : undefined;
  return isArray(value) ? value : [];
}

function statusReport(status: unknown): DeliveryReport | null {
  if (!isRecord(status)) return null;
  const messageId = scalarText(status.id);
  const providerStatus = scalarText(status.status);
  if (!messageId || !providerStatus) return null;
  const [error] = arrayField(status, 'errors');
  const errorCode = isRecord(error) ? scalarText(error.code) : null;
  return { messageId, status: whatsAppDeliveryStatus(providerStatus), providerStatus, errorCode };
}
