import { DeliveryStatus } from '@app/sms';
import { isProgress } from './delivery-status-rank';

const { Unknown, Queued, Sent, Delivered, Read, Failed, Expired } = DeliveryStatus;

describe(isProgress.name, () => {
  it.each([
    [Queued, Sent],
    [Queued, Delivered],
    [Sent, Delivered],
    [Sent, Failed],
    [Sent, Expired],
    [Unknown, Queued],
    [Delivered, Read],
    [Sent, Read],
    [Queued, Read],
    [Failed, Read],
  ])('moves %s → %s', (current, next) => {
    expect(isProgress(current, next)).toBe(true);
  });

  it.each([
    [Delivered, Sent],
    [Delivered, Failed],
    [Failed, Delivered],
    [Sent, Sent],
    [Sent, Queued],
    [Sent, Unknown],
    [Delivered, Delivered],
    [Read, Delivered],
    [Read, Sent],
    [Read, Expired],
    [Read, Failed],
    [Read, Read],
  ])('keeps %s when %s arrives (late, repeated or out of order)', (current, next) => {
    expect(isProgress(current, next)).toBe(false);
  });
});
