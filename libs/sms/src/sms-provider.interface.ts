import type { DeliveryChannel } from './delivery-channel';
import type { DeliveryStatus } from './delivery-status';

/** The code a message carries, for channels that deliver the code itself rather than a text (Telegram, WhatsApp). */
export interface OneTimeCode {
  code: string;
  /** What is left of the code's lifetime, in seconds: a channel must not deliver it later than that. */
  ttlSeconds: number;
  /** Our verification id (Telegram's `payload`, echoed in its reports). */
  verificationId: string;
}

export interface SmsMessage {
  /** E.164 recipient; each adapter converts it to its vendor's wire format. */
  to: string;
  /** The rendered SMS text (the template of the locale). */
  text: string;
  otp?: OneTimeCode;
}

/** What one attempt cost, as the vendor states it (a decimal string, never rounded). */
export interface SendCost {
  amount: string;
  currency: string;
}

export interface SmsSendResult {
  /** The vendor's message id (`request_id` / `sms_id`). */
  messageId: string;
  status: DeliveryStatus;
  /** Only when the vendor's answer states it; otherwise the operators' SMS_PRICES estimate it. */
  cost?: SendCost | null;
}

/** A message's delivery state as the vendor reports it (status query or delivery webhook). */
export interface DeliveryReport {
  messageId: string;
  status: DeliveryStatus;
  /** The vendor's own status word or number, kept for operators (`DELIVRD`, `undelivered`, `70`). */
  providerStatus: string;
  /** The vendor's error code for a failed delivery (Twilio `30003`), if any. */
  errorCode?: string | null;
}

export interface SmsBalance {
  /** As the vendor states it: a decimal string, never rounded. */
  balance: string;
  currency: string | null;
}

/** An incoming delivery report, as the webhook controller received it. */
export interface WebhookRequest {
  /** The full URL the vendor called, including the query string (PUBLIC_BASE_URL + path when that is set). */
  url: string;
  /** Header names in lower case. */
  headers: Record<string, string | undefined>;
  /** JSON or form body, already parsed. */
  body: Record<string, unknown>;
  /** The body's bytes as received (after Content-Encoding), for signatures over the raw body. */
  rawBody?: Buffer;
  /** The secret path segment, for vendors authenticated by an unguessable URL (Messaggio). */
  pathToken?: string;
}

/**
 * The port every vendor adapter implements. Failures throw `SmsProviderError`; optional methods exist
 * only where the vendor's API has the feature.
 */
export interface SmsProvider {
  readonly name: string;
  readonly channel: DeliveryChannel;
  send(message: SmsMessage): Promise<SmsSendResult>;
  /** Asks the vendor for a message's current delivery status (used by the poller). */
  fetchStatus?(messageId: string): Promise<DeliveryReport>;
  fetchBalance?(): Promise<SmsBalance>;
  /**
   * Authenticates a delivery webhook and returns the reports it carries. Throws `WebhookRejectedError`
   * for a missing or wrong signature/token, or when no secret is configured to check it with.
   */
  parseDeliveryReport?(request: WebhookRequest): DeliveryReport[];
  /**
   * Answers a vendor's check of its webhook URL (WhatsApp's `GET ?hub.mode=subscribe&hub.verify_token&hub.challenge`):
   * returns the text to echo, or throws `WebhookRejectedError` when the token is wrong or none is configured.
   */
  answerSubscription?(query: Record<string, unknown>): string;
  /**
   * Tells the vendor the code it delivered was entered (Telegram's checkVerificationStatus with the code).
   * Best effort, off the request path.
   */
  reportVerified?(messageId: string, code: string): Promise<void>;
  /** Withdraws a message a later link superseded, if still unread (Telegram's revokeVerificationMessage). */
  revoke?(messageId: string): Promise<void>;
}
