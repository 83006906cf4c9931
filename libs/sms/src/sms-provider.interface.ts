import type { DeliveryStatus } from './delivery-status';

export interface SmsMessage {
  /** E.164 recipient; each adapter converts it to its vendor's wire format. */
  to: string;
  text: string;
}

export interface SmsSendResult {
  /** The vendor's message id (`request_id` / `sms_id`). */
  messageId: string;
  status: DeliveryStatus;
}

/** The port every vendor adapter implements. Failures throw `SmsProviderError`. */
export interface SmsProvider {
  readonly name: string;
  send(message: SmsMessage): Promise<SmsSendResult>;
}
