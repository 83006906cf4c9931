import { configuredProviderNames, parseSmsRoutes } from './sms-routes';
import { SmsProviderName } from './sms-provider-name';

describe(parseSmsRoutes.name, () => {
  it('parses a chain per country and a * default, case-insensitively', () => {
    const routes = parseSmsRoutes(' kz=Mobizon ; UZ=eskiz, twilio;*=twilio ');
    expect([...routes.entries()]).toEqual([
      ['KZ', ['mobizon']],
      ['UZ', ['eskiz', 'twilio']],
      ['*', ['twilio']],
    ]);
  });

  it('is empty for an empty setting', () => {
    expect(parseSmsRoutes('').size).toBe(0);
  });

  it.each(['KZ', 'KZ=', '=mobizon', 'KZ=mobizon=twilio', 'KZZ=mobizon', 'KZ=carrier-pigeon', 'KZ=mobizon;KZ=twilio'])(
    'refuses %p',
    (raw) => {
      expect(() => parseSmsRoutes(raw)).toThrow(/entry/);
    },
  );
});

describe(configuredProviderNames.name, () => {
  it('lists each provider of the default chain and the routes once, in order of mention', () => {
    const routes = parseSmsRoutes('UZ=eskiz,twilio;*=twilio');
    expect(configuredProviderNames([SmsProviderName.Mobizon, SmsProviderName.Twilio], routes)).toEqual([
      'mobizon',
      'twilio',
      'eskiz',
    ]);
  });
});
