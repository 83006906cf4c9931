import type { ConfigService } from '@nestjs/config';
import { DomainError, ErrorCode } from '@app/common';
import type { AppConfig } from '@app/config';
import { PhoneService } from './phone.service';

const KZ_MOBILE = '+7 700 123-45-67';
const KZ_LANDLINE = '+7 727 250 00 00';
const UZ_MOBILE = '+998901234567';

function createSut(allowedCountries: string[] = []): PhoneService {
  const values: Partial<AppConfig> = { DEFAULT_COUNTRY: 'KZ', SMS_ALLOWED_COUNTRIES: allowedCountries };
  return new PhoneService({ get: (key: keyof AppConfig) => values[key] } as unknown as ConfigService<AppConfig, true>);
}

function thrownBy(action: () => unknown): DomainError {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(DomainError);
    return error as DomainError;
  }
  throw new Error('expected a DomainError, nothing was thrown');
}

describe(PhoneService.name, () => {
  describe('parse', () => {
    it('normalises a valid number to E.164', () => {
      expect(createSut().parse('87001234567')).toMatchObject({ e164: '+77001234567', country: 'KZ' });
    });

    it.each(['123', 'abc', '+7123'])('answers INVALID_PHONE for %p', (input) => {
      expect(thrownBy(() => createSut().parse(input)).code).toBe(ErrorCode.InvalidPhone);
    });

    it('accepts a landline (any valid number)', () => {
      expect(createSut().parse(KZ_LANDLINE)).toMatchObject({ e164: '+77272500000', canReceiveSms: false });
    });
  });

  describe('parseSmsRecipient', () => {
    it('answers INVALID_PHONE for an invalid number', () => {
      expect(thrownBy(() => createSut().parseSmsRecipient('abc')).code).toBe(ErrorCode.InvalidPhone);
    });

    it('answers INVALID_PHONE for a number that is not mobile', () => {
      expect(thrownBy(() => createSut().parseSmsRecipient(KZ_LANDLINE)).code).toBe(ErrorCode.InvalidPhone);
    });

    it('answers COUNTRY_NOT_ALLOWED, naming the country, outside SMS_ALLOWED_COUNTRIES', () => {
      const error = thrownBy(() => createSut(['KZ']).parseSmsRecipient(UZ_MOBILE));
      expect(error.code).toBe(ErrorCode.CountryNotAllowed);
      expect(error.details).toEqual({ country: 'UZ' });
    });

    it('accepts a mobile number of an allowed country', () => {
      expect(createSut(['KZ']).parseSmsRecipient(KZ_MOBILE)).toEqual({
        e164: '+77001234567',
        country: 'KZ',
        canReceiveSms: true,
      });
    });

    it('accepts any country when SMS_ALLOWED_COUNTRIES is empty', () => {
      expect(createSut([]).parseSmsRecipient(UZ_MOBILE)).toMatchObject({ e164: '+998901234567', country: 'UZ' });
    });

    it('accepts every listed country', () => {
      expect(createSut(['KZ', 'UZ']).parseSmsRecipient(UZ_MOBILE)).toMatchObject({ country: 'UZ' });
    });
  });
});
