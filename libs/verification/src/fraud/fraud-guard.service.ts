import { isIPv4, isIPv6 } from 'node:net';
import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import {
  type AppConfig,
  type FraudGuardMode,
  type FraudGuardSettings,
  fraudGuardSettings,
  parseSmsPrices,
} from '@app/config';
import { type DeliveryChannel, SmsDispatcher } from '@app/sms';

/** Why the guard does not judge a send: the operator's allow lists (test numbers never reach the guard). */
export type FraudBypass = 'allow_ip' | 'allow_phone';

/**
 * The application's side of the fraud guard (SPEC §10): its mode and thresholds, as the reservation statement
 * reads them, the allow lists, and the estimated price of a send. The verdict itself is taken in the
 * reservation statement (sms_auth_fraud_verdict), from counters shared by every instance.
 */
@Injectable()
export class FraudGuard {
  readonly mode: FraudGuardMode;
  /** The settings as the JSON sms_auth_reserve_sends reads. */
  readonly statementSettings: string;
  private readonly settings: FraudGuardSettings;
  private readonly prices: ReadonlyMap<string, string>;

  constructor(
    config: ConfigService<AppConfig, true>,
    private readonly sms: SmsDispatcher,
  ) {
    this.settings = fraudGuardSettings((key) => config.get(key, { infer: true }));
    this.mode = this.settings.mode;
    this.statementSettings = JSON.stringify({ mode: this.mode, ...this.settings.rules });
    this.prices = parseSmsPrices(config.get('SMS_PRICES', { infer: true }));
  }

  bypassFor(phoneNumber: string, ip: string | null): FraudBypass | null {
    if (ip && this.isAllowedIp(ip)) return 'allow_ip';
    if (this.settings.allowPhones?.test(phoneNumber)) return 'allow_phone';
    return null;
  }

  /** SMS_PRICES' price of the first link that would carry the code; null when that vendor has no price. */
  estimatedPrice(country: string | null, channel?: DeliveryChannel): string | null {
    const [first] = this.sms.chainFor(country, channel);
    return (first && this.prices.get(first.name)) ?? null;
  }

  /** BlockList matches an IPv4-mapped IPv6 address (::ffff:a.b.c.d) against IPv4 networks itself. */
  private isAllowedIp(ip: string): boolean {
    const type = isIPv4(ip) ? 'ipv4' : isIPv6(ip) ? 'ipv6' : null;
    return type !== null && this.settings.allowIps.check(ip, type);
  }
}
