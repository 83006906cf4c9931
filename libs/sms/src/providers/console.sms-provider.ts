import { randomUUID } from 'node:crypto';
import { Logger } from '@nestjs/common';
import { maskPhone } from '@app/common';
import { DeliveryStatus } from '../delivery-status';
import type { SmsMessage, SmsProvider, SmsSendResult } from '../sms-provider.interface';
import { DeliveryChannel } from '../delivery-channel';

/**
 * Development provider: writes the message to the log instead of sending it. Outside production that
 * is its purpose (the code shows in the console); in production it logs only that a message was due.
 */
export class ConsoleSmsProvider implements SmsProvider {
  readonly channel = DeliveryChannel.Sms;
  readonly name = 'console';
  private readonly logger = new Logger('ConsoleSms');

  constructor(private readonly options: { revealText: boolean }) {}

  send({ to, text }: SmsMessage): Promise<SmsSendResult> {
    if (this.options.revealText) this.logger.log(`SMS to ${to}: ${text}`);
    else this.logger.log(`SMS to ${maskPhone(to)} not sent (console provider; text hidden in production)`);
    return Promise.resolve({ messageId: `console-${randomUUID()}`, status: DeliveryStatus.Delivered });
  }
}
