import {
  DeliveryChannel,
  DeliveryStatus,
  type SendCost,
  type SmsMessage,
  type SmsProvider,
  SMS_PROVIDERS,
  SmsProviderError,
} from '@app/sms';
import { ADMIN_API_KEY } from '../admin/admin-helpers';
import { createTestApp, type TestApp } from '../support/test-app';

/**
 * Links of a chain for the channel tests, in the test process: what they were handed, and switches for
 * refusing and for the cost they state.
 *
 * SMS_PROVIDER and SMS_ROUTES accept only the names of real providers, and the Telegram and WhatsApp adapters
 * are not in this branch: so the SMS_PROVIDERS map (keyed by the configured name) binds `eskiz` to a link of
 * channel telegram whose own name is `telegram` (its sms_deliveries rows, SMS_PRICES entry and the stats say
 * `telegram`), and `console`/`greensms` to plain SMS links. The config still wants the credentials of the
 * vendors it names, hence the dummy ESKIZ_/GREEN_SMS_ values; nothing calls those vendors.
 */
export class RecordingLink implements SmsProvider {
  readonly sent: SmsMessage[] = [];
  /** A definite refusal (the dispatcher moves on to the next link within the request). */
  refuse = false;
  /** The cost the next sends state; undefined: none. */
  cost: SendCost | undefined;
  private counter = 0;

  constructor(
    readonly name: string,
    readonly channel: DeliveryChannel,
  ) {}

  send(message: SmsMessage) {
    if (this.refuse)
      return Promise.reject(new SmsProviderError('rejected', this.name, 'NOT_AVAILABLE', `${this.name} refused`));
    this.sent.push(message);
    return Promise.resolve({
      messageId: `${this.name}-${process.pid}-${++this.counter}`,
      status: DeliveryStatus.Sent,
      ...(this.cost ? { cost: this.cost } : {}),
    });
  }

  reset(): void {
    this.sent.length = 0;
    this.refuse = false;
    this.cost = undefined;
  }
}

export interface ChannelApp {
  t: TestApp;
  telegram: RecordingLink;
  console: RecordingLink;
  greensms: RecordingLink;
}

export const TEST_NUMBER = '+77000000001';
export const TEST_CODE = '111111';

/**
 * An app whose default chain is `telegram, console` (SMS_PROVIDER=eskiz,console) and whose Uzbek chain is
 * `greensms` alone (no telegram link), unless `env` says otherwise.
 */
export async function createChannelApp(env: Record<string, string> = {}): Promise<ChannelApp> {
  const telegram = new RecordingLink('telegram', DeliveryChannel.Telegram);
  const console = new RecordingLink('console', DeliveryChannel.Sms);
  const greensms = new RecordingLink('greensms', DeliveryChannel.Sms);
  const t = await createTestApp({
    env: {
      SMS_PROVIDER: 'eskiz,console',
      SMS_ROUTES: 'UZ=greensms',
      ESKIZ_EMAIL: 'unused@example.com',
      ESKIZ_PASSWORD: 'unused',
      GREEN_SMS_TOKEN: 'unused',
      SMS_TEST_NUMBERS: `${TEST_NUMBER}:${TEST_CODE}`,
      ADMIN_API_KEY,
      ...env,
    },
    overrides: [
      {
        provide: SMS_PROVIDERS,
        useValue: new Map<string, SmsProvider>([
          ['eskiz', telegram],
          ['console', console],
          ['greensms', greensms],
        ]),
      },
    ],
  });
  return { t, telegram, console, greensms };
}
