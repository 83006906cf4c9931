import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js/max';

/**
 * Parses `SMS_TEST_NUMBERS` (`+77000000001:111111,+77000000002:222222`) into E.164 → fixed code.
 * Throws a message naming the bad entry; `validateEnv` turns it into a boot failure.
 */
export function parseTestNumbers(raw: string, defaultCountry: string): Map<string, string> {
  const numbers = new Map<string, string>();
  for (const entry of raw
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean)) {
    const separator = entry.lastIndexOf(':');
    const phone = separator > 0 ? entry.slice(0, separator).trim() : '';
    const code = separator > 0 ? entry.slice(separator + 1).trim() : '';
    const parsed = parsePhoneNumberFromString(phone, defaultCountry as CountryCode);
    if (!parsed?.isValid()) throw new Error(`entry "${entry}" is not <valid phone>:<code>`);
    if (!/^\d{4,10}$/.test(code)) throw new Error(`entry "${phone}" needs a code of 4 to 10 digits`);
    numbers.set(parsed.number, code);
  }
  return numbers;
}
