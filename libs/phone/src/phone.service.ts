import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { DomainError, ErrorCode } from '@app/common';
import type { AppConfig } from '@app/config';
import { parsePhoneNumber, PhoneNumber } from './phone-number';

@Injectable()
export class PhoneService {
  private readonly defaultCountry: string;
  private readonly allowedCountries: ReadonlySet<string>;

  constructor(config: ConfigService<AppConfig, true>) {
    this.defaultCountry = config.get('DEFAULT_COUNTRY', { infer: true });
    this.allowedCountries = new Set(config.get('SMS_ALLOWED_COUNTRIES', { infer: true }));
  }

  /** Any valid number, normalised to E.164; `INVALID_PHONE` otherwise. */
  parse(input: string): PhoneNumber {
    const phone = parsePhoneNumber(input, this.defaultCountry);
    if (!phone) throw new DomainError(ErrorCode.InvalidPhone, 'This is not a valid phone number');
    return phone;
  }

  /** A number we may text: mobile, and in `SMS_ALLOWED_COUNTRIES` when that list is set. */
  parseSmsRecipient(input: string): PhoneNumber {
    const phone = this.parse(input);
    this.assertSmsRecipient(phone);
    return phone;
  }

  /** `INVALID_PHONE` unless mobile, `COUNTRY_NOT_ALLOWED` unless in `SMS_ALLOWED_COUNTRIES` (when set). */
  assertSmsRecipient(phone: PhoneNumber): void {
    if (!phone.canReceiveSms)
      throw new DomainError(ErrorCode.InvalidPhone, 'This number cannot receive SMS (not a mobile number)');
    if (this.allowedCountries.size === 0) return;
    if (!phone.country || !this.allowedCountries.has(phone.country)) {
      throw new DomainError(ErrorCode.CountryNotAllowed, 'Codes cannot be sent to numbers of this country', {
        country: phone.country,
      });
    }
  }
}
