import { createHash, createHmac } from 'node:crypto';
import { constantTimeEqual } from '@app/common';
import { DeliveryChannel } from '../../delivery-channel';
import { isRecord, scalarText } from '../../http/vendor-format';
import { type VendorFault, VendorHttpClient, type VendorResponse } from '../../http/vendor-http-client';
import { SmsProviderError, WebhookRejectedError } from '../../sms-provider.error';
import type {
  DeliveryReport,
  SendCost,
  SmsBalance,
  SmsMessage,
  SmsProvider,
  SmsSendResult,
  WebhookRequest,
} from '../../sms-provider.interface';
import { type HttpAdapterOptions, httpAdapterOptions } from '../provider-options';
import { telegramErrorWord, telegramFailure } from './telegram-errors';
import { mapTelegramDeliveryStatus } from './telegram-status';

export interface TelegramGatewayOptions extends HttpAdapterOptions {
  /** The access token of the Gateway account settings (gateway.telegram.org/account/api). */
  token: string;
  /** `sender_username`: a verified channel owned by the token's account that the code is sent from. */
  senderUsername?: string;
  /** `callback_url`: where Telegram posts delivery reports (HTTPS, at most 256 bytes, else not sent). */
  callbackUrl?: string;
  /** The clock of the webhook timestamp check, in milliseconds (tests). */
  now?: () => number;
}

/** Telegram's `RequestStatus` (core.telegram.org/gateway/api#requeststatus), the fields we read. */
interface RequestStatus {
  requestId: string;
  /** `delivery_status.status`; absent until a message was sent to the user. */
  deliveryStatus: string | null;
  requestCost: number | null;
  isRefunded: boolean;
  remainingBalance: number | null;
}

/**
 * Confirmed in core.telegram.org/gateway/api (the 2025-02-26 revision): `ttl` 30–3600 s (a message not
 * delivered within it is refunded), `code` 4–8 digits, `payload` ≤ 128 bytes, `callback_url` ≤ 256 bytes.
 */
export const TELEGRAM_TTL_RANGE = { min: 30, max: 3600 } as const;
const OWN_CODE = /^\d{4,8}$/;
const MAX_PAYLOAD_BYTES = 128;
const MAX_CALLBACK_URL_BYTES = 256;
/** How far the `X-Request-Timestamp` of a report may be from our clock. */
export const TELEGRAM_REPORT_MAX_SKEW_SECONDS = 300;
/** The unit of `request_cost` and `remaining_balance`: Gateway prices are in USD (about $0.01 a code). */
const CURRENCY = 'USD';

/**
 * The Telegram Gateway API (providers.md §6): verification codes delivered as Telegram messages. It carries
 * OUR code (`code`), never one Telegram generates, so a later link of the chain can deliver the same code.
 * Every call is a JSON POST to `<base>/<method>` with `Authorization: Bearer <token>`; replies are
 * `{ok:true,result}` or `{ok:false,error}` whatever the HTTP status (the SDKs read only the envelope), except
 * that HTTP 5xx is an outage (the HTTP client maps it, with the envelope's error word).
 *
 * `checkSendAbility` is never called: a positive answer is billed at once (docs), and sending directly costs
 * nothing when the number cannot receive (an error is free).
 */
export class TelegramGatewayProvider implements SmsProvider {
  readonly channel = DeliveryChannel.Telegram;
  readonly name = 'telegram';
  private readonly http: VendorHttpClient;
  private readonly signingKey: Buffer;
  private lastBalance: SmsBalance | null = null;

  constructor(private readonly options: TelegramGatewayOptions) {
    this.http = new VendorHttpClient({
      provider: this.name,
      vendor: 'Telegram Gateway',
      ...httpAdapterOptions(options),
      serverFault: (response) => serverFault(response),
    });
    // Confirmed (docs "Checking report integrity"): secret_key = SHA256(api_token), used as the raw 32-byte
    // digest, as both SDKs that verify reports do (skewb1k/tg-gateway-go sha256.Sum256, nullform hex2bin).
    this.signingKey = createHash('sha256').update(options.token, 'utf8').digest();
  }

  async send({ to, otp }: SmsMessage): Promise<SmsSendResult> {
    if (!otp) {
      throw new SmsProviderError(
        'rejected',
        this.name,
        'code_missing',
        'Telegram Gateway delivers a one-time code: the message carries none',
      );
    }
    if (!OWN_CODE.test(otp.code)) {
      throw new SmsProviderError(
        'rejected',
        this.name,
        'code_unsupported',
        `Telegram Gateway delivers codes of 4 to 8 digits only (this one has ${otp.code.length} characters)`,
      );
    }
    const params: Record<string, string | number> = {
      phone_number: to,
      code: otp.code,
      ttl: clampTtl(otp.ttlSeconds),
    };
    if (Buffer.byteLength(otp.verificationId) <= MAX_PAYLOAD_BYTES) params.payload = otp.verificationId;
    const { callbackUrl, senderUsername } = this.options;
    if (callbackUrl && Buffer.byteLength(callbackUrl) <= MAX_CALLBACK_URL_BYTES) params.callback_url = callbackUrl;
    if (senderUsername) params.sender_username = senderUsername;
    const { result, response } = await this.call('sendVerificationMessage', params);
    const status = this.readStatus(result, response);
    return {
      messageId: status.requestId,
      status: mapTelegramDeliveryStatus(status.deliveryStatus),
      cost: costOf(status),
    };
  }

  /** `checkVerificationStatus` without a code: the message's delivery status (the poller's question). */
  async fetchStatus(messageId: string): Promise<DeliveryReport> {
    const { result, response } = await this.call('checkVerificationStatus', { request_id: messageId });
    return this.report(this.readStatus(result, response), messageId);
  }

  /**
   * `checkVerificationStatus` with the code the user entered: Telegram asks for it even when the code is
   * ours, for its conversion statistics (docs, checkVerificationStatus). Best effort: throws on failure.
   */
  async reportVerified(messageId: string, code: string): Promise<void> {
    const { result, response } = await this.call('checkVerificationStatus', { request_id: messageId, code });
    this.readStatus(result, response);
  }

  /** `revokeVerificationMessage`: `true` means received, not deleted (a read message stays; no refund). */
  async revoke(messageId: string): Promise<void> {
    const { result, response } = await this.call('revokeVerificationMessage', { request_id: messageId });
    if (result !== true) throw this.http.malformed(response);
  }

  /**
   * The Gateway has no balance method: `remaining_balance` comes only "in response to a request that incurs
   * a charge" (docs, RequestStatus), i.e. a send. This returns the last balance a send of this process was
   * told, and refuses until there has been one.
   */
  fetchBalance(): Promise<SmsBalance> {
    if (this.lastBalance) return Promise.resolve(this.lastBalance);
    return Promise.reject(
      new SmsProviderError(
        'unavailable',
        this.name,
        'balance_not_stated',
        'Telegram Gateway states the balance only in its replies to sends, and none has been sent since start',
      ),
    );
  }

  /**
   * One report: a `RequestStatus` JSON body, authenticated by `X-Request-Signature` =
   * hex(HMAC-SHA256(key = SHA256(token), X-Request-Timestamp + "\n" + raw body)) (docs, confirmed), with
   * the timestamp within 300 s of our clock. A report with no delivery status carries nothing for us.
   */
  parseDeliveryReport(request: WebhookRequest): DeliveryReport[] {
    this.authenticate(request);
    // The body the signature covers, as the API's JSON parser read it from those bytes.
    const status = readRequestStatus(request.body);
    if (!status?.deliveryStatus) return [];
    return [this.report(status, status.requestId)];
  }

  private authenticate({ headers, rawBody }: WebhookRequest): void {
    // The webhook controller hands header names in lower case.
    const timestamp = headers['x-request-timestamp']?.trim();
    const signature = headers['x-request-signature']?.trim();
    if (!timestamp) throw new WebhookRejectedError(this.name, 'X-Request-Timestamp is missing');
    if (!signature) throw new WebhookRejectedError(this.name, 'X-Request-Signature is missing');
    if (!/^\d{1,12}$/.test(timestamp))
      throw new WebhookRejectedError(this.name, 'X-Request-Timestamp is not a Unix time');
    const nowSeconds = (this.options.now?.() ?? Date.now()) / 1000;
    if (Math.abs(nowSeconds - Number(timestamp)) > TELEGRAM_REPORT_MAX_SKEW_SECONDS)
      throw new WebhookRejectedError(this.name, 'X-Request-Timestamp is more than 300 s from now');
    if (!rawBody?.length) throw new WebhookRejectedError(this.name, 'the report has no body to check');
    const expected = createHmac('sha256', this.signingKey)
      .update(`${timestamp}\n`, 'utf8')
      .update(rawBody)
      .digest('hex');
    if (!constantTimeEqual(signature.toLowerCase(), expected))
      throw new WebhookRejectedError(this.name, 'X-Request-Signature does not match');
  }

  private report(status: RequestStatus, messageId: string): DeliveryReport {
    return {
      messageId,
      status: mapTelegramDeliveryStatus(status.deliveryStatus),
      providerStatus: status.deliveryStatus ?? 'none',
      errorCode: null,
    };
  }

  private readStatus(result: unknown, response: VendorResponse): RequestStatus {
    const status = readRequestStatus(result);
    if (!status) throw this.http.malformed(response);
    if (status.remainingBalance !== null)
      this.lastBalance = { balance: String(status.remainingBalance), currency: CURRENCY };
    return status;
  }

  /** POSTs JSON to `/<method>`; resolves with `result` of an `ok:true` reply, else throws the mapped failure. */
  private async call(
    method: string,
    params: Record<string, string | number>,
  ): Promise<{ result: unknown; response: VendorResponse }> {
    const response = await this.http.request({
      method: 'POST',
      path: `/${method}`,
      headers: {
        Authorization: `Bearer ${this.options.token}`,
        'Content-Type': 'application/json',
        Accept: 'application/json',
      },
      body: JSON.stringify(params),
    });
    if (!isRecord(response.json) || typeof response.json.ok !== 'boolean') {
      // HTTP 429 without an envelope is still a rate limit.
      if (response.status === 429) throw telegramFailure(null, 429);
      throw this.http.malformed(response);
    }
    if (response.json.ok) return { result: response.json.result, response };
    throw telegramFailure(telegramErrorWord(response.json.error), response.status);
  }
}

/** The code's remaining lifetime within what the Gateway accepts (a shorter code still gets 30 s). */
export function clampTtl(seconds: number): number {
  const whole = Number.isFinite(seconds) ? Math.floor(seconds) : TELEGRAM_TTL_RANGE.min;
  return Math.min(TELEGRAM_TTL_RANGE.max, Math.max(TELEGRAM_TTL_RANGE.min, whole));
}

/** `request_cost` (USD, a float) as a decimal string; 0 once `is_refunded` (not delivered within `ttl`). */
function costOf(status: RequestStatus): SendCost | null {
  if (status.isRefunded) return { amount: '0', currency: CURRENCY };
  if (status.requestCost === null) return null;
  return { amount: String(status.requestCost), currency: CURRENCY };
}

function readRequestStatus(value: unknown): RequestStatus | null {
  if (!isRecord(value)) return null;
  const requestId = scalarText(value.request_id);
  if (!requestId) return null;
  const delivery = isRecord(value.delivery_status) ? value.delivery_status : null;
  const deliveryStatus = delivery && typeof delivery.status === 'string' && delivery.status ? delivery.status : null;
  return {
    requestId,
    deliveryStatus,
    requestCost: finiteNumber(value.request_cost),
    isRefunded: value.is_refunded === true,
    remainingBalance: finiteNumber(value.remaining_balance),
  };
}

function finiteNumber(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

/** An HTTP 5xx: the envelope's error word when the body has one. */
function serverFault(response: VendorResponse): VendorFault {
  const word = isRecord(response.json) ? telegramErrorWord(response.json.error) : null;
  return { code: word ?? `http_${response.status}` };
}
