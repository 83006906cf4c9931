import { DeliveryStatus } from '../../delivery-status';
import { greenSmsDeliveryStatus } from './greensms-status';

describe(greenSmsDeliveryStatus.name, () => {
  it.each([
    ['Delivered', DeliveryStatus.Delivered],
    ['DELIVERED', DeliveryStatus.Delivered],
    ['Expired', DeliveryStatus.Expired],
    ['Rejected', DeliveryStatus.Failed],
    ['Undelivered', DeliveryStatus.Failed],
    ['Not delivered', DeliveryStatus.Failed],
    ['Failed', DeliveryStatus.Failed],
    ['Error', DeliveryStatus.Failed],
    ['Accepted', DeliveryStatus.Sent],
    ['Sent', DeliveryStatus.Sent],
    ['Enroute', DeliveryStatus.Sent],
    ['Queued', DeliveryStatus.Queued],
    ['Pending', DeliveryStatus.Queued],
    ['Moderation', DeliveryStatus.Unknown],
    ['', DeliveryStatus.Unknown],
  ])('maps %p to %p', (providerStatus, expected) => {
    expect(greenSmsDeliveryStatus(providerStatus)).toBe(expected);
  });
});
