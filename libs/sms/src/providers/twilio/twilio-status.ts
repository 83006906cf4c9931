import { DeliveryStatus } from '../../delivery-status';

/** Twilio message statuses (providers.md §4) in our vocabulary; inbound and unknown words are `unknown`. */
const TWILIO_STATUSES: Readonly<Record<string, DeliveryStatus>> = {
  queued: DeliveryStatus.Queued,
  accepted: DeliveryStatus.Queued,
  scheduled: DeliveryStatus.Queued,
  sending: DeliveryStatus.Sent,
  sent: DeliveryStatus.Sent,
  partially_delivered: DeliveryStatus.Sent,
  delivered: DeliveryStatus.Delivered,
  read: DeliveryStatus.Delivered,
  undelivered: DeliveryStatus.Failed,
  failed: DeliveryStatus.Failed,
  canceled: DeliveryStatus.Failed,
  receiving: DeliveryStatus.Unknown,
  received: DeliveryStatus.Unknown,
};

export function mapTwilioStatus(twilioStatus: string): DeliveryStatus {
  return Object.hasOwn(TWILIO_STATUSES, twilioStatus) ? TWILIO_STATUSES[twilioStatus] : DeliveryStatus.Unknown;
}
