import { parsePhoneNumber } from './phone-number';

describe(parsePhoneNumber.name, () => {
  it.each([
    ['+7 700 123-45-67', '+77001234567', 'KZ'],
    ['77001234567', '+77001234567', 'KZ'],
    ['87001234567', '+77001234567', 'KZ'],
    ['8 (700) 123 45 67', '+77001234567', 'KZ'],
    ['+998901234567', '+998901234567', 'UZ'],
    ['+998 (90) 123-45-67', '+998901234567', 'UZ'],
    ['+7 912 345-67-89', '+79123456789', 'RU'],
  ])('parses %p as %s (%s), a mobile number', (input, e164, country) => {
    expect(parsePhoneNumber(input, 'KZ')).toEqual({ e164, country, canReceiveSms: true });
  });

  it('reads a number without a country code in DEFAULT_COUNTRY', () => {
    expect(parsePhoneNumber('901234567', 'UZ')).toEqual({ e164: '+998901234567', country: 'UZ', canReceiveSms: true });
  });

  it.each(['123', 'abc', '+7123', '', '+7 700 123-45-67 ext 5', '+77001234567890123'])('rejects %p', (input) => {
    expect(parsePhoneNumber(input, 'KZ')).toBeNull();
  });

  it('recognises a Kazakh landline as valid but unable to receive SMS', () => {
    expect(parsePhoneNumber('+7 727 250 00 00', 'KZ')).toEqual({
      e164: '+77272500000',
      country: 'KZ',
      canReceiveSms: false,
    });
  });

  it('lets through numbers whose plan does not tell mobile from fixed (US)', () => {
    expect(parsePhoneNumber('+1 212 555 0123', 'KZ')).toMatchObject({ e164: '+12125550123', canReceiveSms: true });
  });
});
