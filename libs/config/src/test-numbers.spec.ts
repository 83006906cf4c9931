import { parseTestNumbers } from './test-numbers';

describe(parseTestNumbers.name, () => {
  it('maps each number, in E.164, to its fixed code', () => {
    expect(parseTestNumbers('+77000000001:111111,+998901234567:2222', 'KZ')).toEqual(
      new Map([
        ['+77000000001', '111111'],
        ['+998901234567', '2222'],
      ]),
    );
  });

  it('normalises a number with the trunk prefix through DEFAULT_COUNTRY', () => {
    expect(parseTestNumbers('87000000001:1111', 'KZ')).toEqual(new Map([['+77000000001', '1111']]));
  });

  it('tolerates spaces and empty entries', () => {
    expect(parseTestNumbers(' +7 700 000 00 01 : 111111 , ,', 'KZ')).toEqual(new Map([['+77000000001', '111111']]));
  });

  it('gives an empty map for an empty setting', () => {
    expect(parseTestNumbers('', 'KZ').size).toBe(0);
  });

  it.each(['garbage', '+77000000001', ':111111', '123:111111'])('refuses the entry %p, naming it', (entry) => {
    expect(() => parseTestNumbers(`+77000000002:222222,${entry}`, 'KZ')).toThrow(entry);
  });

  it.each(['123', '12345678901', '12a456'])('refuses the code %p (4 to 10 digits)', (code) => {
    expect(() => parseTestNumbers(`+77000000001:${code}`, 'KZ')).toThrow(/4 to 10 digits/);
  });
});
