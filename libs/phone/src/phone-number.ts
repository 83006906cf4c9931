import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js/max';

export interface PhoneNumber {
  /** `+77001234567` */
  e164: string;
  /** ISO 3166-1 alpha-2, when the number belongs to one country. */
  country: string | null;
  /** Mobile, or a number plan that does not tell mobile from fixed (e.g. US). */
  canReceiveSms: boolean;
}

const SEPARATORS = /[\s().-]/g;

/**
 * Parses what people type: `+7 700 123-45-67`, `77001234567`, `87001234567` (trunk prefix), `+998901234567`.
 * Returns null when it is not a valid number.
 */
export function parsePhoneNumber(input: string, defaultCountry: string): PhoneNumber | null {
  const compact = input.replace(SEPARATORS, '');
  if (!/^\+?\d{5,17}$/.test(compact)) return null;
  const parsed = parsePhoneNumberFromString(compact, defaultCountry as CountryCode);
  if (!parsed?.isValid()) return null;
  const type = parsed.getType();
  return {
    e164: parsed.number,
    country: parsed.country ?? null,
    canReceiveSms: type === 'MOBILE' || type === 'FIXED_LINE_OR_MOBILE',
  };
}
