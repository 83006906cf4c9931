import { DeliveryChannel } from '@app/sms';
import { type PricedLink, smsPricePerCode } from './sms-price-per-code';

const sms = (name: string): PricedLink => ({ name, channel: DeliveryChannel.Sms });
const telegram: PricedLink = { name: 'telegram', channel: DeliveryChannel.Telegram };
const whatsapp: PricedLink = { name: 'whatsapp', channel: DeliveryChannel.WhatsApp };

describe(smsPricePerCode.name, () => {
  const chains: Record<string, PricedLink[]> = {
    KZ: [telegram, sms('mobizon'), sms('twilio')],
    UZ: [telegram, sms('eskiz')],
    AM: [telegram, whatsapp],
    '*': [sms('twilio')],
  };
  const chainFor = (country: string | null) => (country && chains[country]) || chains['*'];
  const configured = [telegram, whatsapp, sms('mobizon'), sms('eskiz'), sms('twilio')];

  it("prices a code at the first priced SMS link of its country's chain, skipping other channels", () => {
    const prices = new Map([
      ['telegram', '0.01'],
      ['mobizon', '0.012'],
      ['eskiz', '0.02'],
      ['twilio', '0.0079'],
    ]);
    const result = smsPricePerCode(Object.keys(chains), chainFor, configured, prices);
    expect(Object.fromEntries(result.byCountry)).toEqual({ KZ: '0.012', UZ: '0.02', AM: '0.0079' });
    expect(result.fallback).toBe('0.0079');
  });

  it('takes the next priced SMS link when the first has no price, and the cheapest SMS price for a chain without', () => {
    const prices = new Map([
      ['twilio', '0.05'],
      ['eskiz', '0.02'],
    ]);
    const result = smsPricePerCode(['KZ', 'AM', '*'], chainFor, configured, prices);
    expect(Object.fromEntries(result.byCountry)).toEqual({ KZ: '0.05', AM: '0.02' });
    expect(result.fallback).toBe('0.05');
  });

  it('knows no price when no SMS provider has one (a price of a non-SMS link does not count)', () => {
    const result = smsPricePerCode(['KZ'], chainFor, configured, new Map([['telegram', '0.01']]));
    expect(result.byCountry.size).toBe(0);
    expect(result.fallback).toBeNull();
  });
});
