import { DeliveryChannel } from '@app/sms';
import { deliveryTimeoutSeconds } from './delivery-timeout';

describe('deliveryTimeoutSeconds', () => {
  it('defaults to 20 s for telegram and whatsapp links and none for SMS links', () => {
    expect(deliveryTimeoutSeconds({ channel: DeliveryChannel.Telegram }, undefined)).toBe(20);
    expect(deliveryTimeoutSeconds({ channel: DeliveryChannel.WhatsApp }, undefined)).toBe(20);
    expect(deliveryTimeoutSeconds({ channel: DeliveryChannel.Sms }, undefined)).toBe(0);
  });

  it('applies CHANNEL_DELIVERY_TIMEOUT_SECONDS to every link when set (0 = off)', () => {
    expect(deliveryTimeoutSeconds({ channel: DeliveryChannel.Sms }, 5)).toBe(5);
    expect(deliveryTimeoutSeconds({ channel: DeliveryChannel.Telegram }, 0)).toBe(0);
  });
});
