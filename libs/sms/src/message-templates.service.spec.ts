import type { ConfigService } from '@nestjs/config';
import type { AppConfig, Locale } from '@app/config';
import { MessageTemplates } from './message-templates.service';

function createSut(overrides: Partial<AppConfig> = {}): MessageTemplates {
  const values: Partial<AppConfig> = { APP_NAME: 'Qazaq Taxi', ...overrides };
  return new MessageTemplates({ get: (key: keyof AppConfig) => values[key] } as unknown as ConfigService<
    AppConfig,
    true
  >);
}

describe(MessageTemplates.name, () => {
  it('renders the SPEC Russian text', () => {
    expect(createSut().render('ru', { code: '482913', ttlSeconds: 300 })).toBe(
      'Ваш код подтверждения Qazaq Taxi: 482913. Код действителен 5 минут.',
    );
  });

  it.each<[Locale, string]>([
    ['ru', 'минут'],
    ['kk', 'минут бойы'],
    ['uz', 'daqiqa'],
    ['en', 'minutes'],
  ])('renders %s with the code, the app name and the lifetime in minutes', (locale, minutesWord) => {
    const text = createSut().render(locale, { code: '048291', ttlSeconds: 600 });
    expect(text).toContain('048291');
    expect(text).toContain('Qazaq Taxi');
    expect(text).toContain(`10 ${minutesWord}`);
    expect(text).not.toMatch(/[{}]/);
  });

  it('gives each locale its own text', () => {
    const sut = createSut();
    const texts = (['ru', 'kk', 'uz', 'en'] as const).map((locale) =>
      sut.render(locale, { code: '1234', ttlSeconds: 300 }),
    );
    expect(new Set(texts).size).toBe(4);
  });

  it.each([
    [60, '1'],
    [61, '2'],
    [90, '2'],
    [300, '5'],
    [301, '6'],
    [30, '1'],
  ])('rounds %i s up to %s minute(s)', (ttlSeconds, minutes) => {
    expect(createSut().render('en', { code: '1234', ttlSeconds })).toBe(
      `Your Qazaq Taxi verification code: 1234. It is valid for ${minutes} minutes.`,
    );
  });

  it('uses SMS_TEMPLATE_EN instead of the default English text', () => {
    const sut = createSut({ SMS_TEMPLATE_EN: '{code} is your {app_name} code; {ttl_minutes} min. Code again: {code}' });
    expect(sut.render('en', { code: '777111', ttlSeconds: 120 })).toBe(
      '777111 is your Qazaq Taxi code; 2 min. Code again: 777111',
    );
  });

  it('keeps the defaults of the locales that are not overridden', () => {
    const sut = createSut({ SMS_TEMPLATE_EN: 'custom {code}' });
    expect(sut.render('ru', { code: '1234', ttlSeconds: 300 })).toBe(
      'Ваш код подтверждения Qazaq Taxi: 1234. Код действителен 5 минут.',
    );
  });
});
