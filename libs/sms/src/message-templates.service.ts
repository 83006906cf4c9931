import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { AppConfig, Locale } from '@app/config';

export const DEFAULT_TEMPLATES: Record<Locale, string> = {
  ru: 'Ваш код подтверждения {app_name}: {code}. Код действителен {ttl_minutes} минут.',
  kk: '{app_name} растау кодыңыз: {code}. Код {ttl_minutes} минут бойы жарамды.',
  uz: '{app_name} tasdiqlash kodingiz: {code}. Kod {ttl_minutes} daqiqa amal qiladi.',
  en: 'Your {app_name} verification code: {code}. It is valid for {ttl_minutes} minutes.',
};

/** Renders the code message in the person's language; `SMS_TEMPLATE_<LOCALE>` overrides a default. */
@Injectable()
export class MessageTemplates {
  private readonly templates: Record<Locale, string>;
  private readonly appName: string;

  constructor(config: ConfigService<AppConfig, true>) {
    this.appName = config.get('APP_NAME', { infer: true });
    this.templates = {
      ru: config.get('SMS_TEMPLATE_RU', { infer: true }) ?? DEFAULT_TEMPLATES.ru,
      kk: config.get('SMS_TEMPLATE_KK', { infer: true }) ?? DEFAULT_TEMPLATES.kk,
      uz: config.get('SMS_TEMPLATE_UZ', { infer: true }) ?? DEFAULT_TEMPLATES.uz,
      en: config.get('SMS_TEMPLATE_EN', { infer: true }) ?? DEFAULT_TEMPLATES.en,
    };
  }

  render(locale: Locale, values: { code: string; ttlSeconds: number }): string {
    const replacements: Record<string, string> = {
      app_name: this.appName,
      code: values.code,
      ttl_minutes: String(Math.ceil(values.ttlSeconds / 60)),
    };
    return this.templates[locale].replace(/\{(app_name|code|ttl_minutes)\}/g, (_, key: string) => replacements[key]);
  }
}
