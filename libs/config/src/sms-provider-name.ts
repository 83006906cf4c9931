/** Every SMS provider sms-auth can be configured with. A new vendor adds its name here and an adapter in `@app/sms`. */
export enum SmsProviderName {
  Console = 'console',
  Mobizon = 'mobizon',
  Messaggio = 'messaggio',
  GreenSms = 'greensms',
  Twilio = 'twilio',
  Eskiz = 'eskiz',
  /** Telegram Gateway: the code as a Telegram message (channel `telegram`). */
  Telegram = 'telegram',
  WhatsApp = 'whatsapp',
}

export const SMS_PROVIDER_NAMES: readonly string[] = Object.values(SmsProviderName);

/** The settings each vendor cannot work without: `[key, …]` means all of them, `[[a, b], [c]]` one group of several. */
export const REQUIRED_PROVIDER_SETTINGS: Record<SmsProviderName, string[][]> = {
  [SmsProviderName.Console]: [[]],
  [SmsProviderName.Mobizon]: [['MOBIZON_API_KEY']],
  [SmsProviderName.Messaggio]: [['MESSAGGIO_API_KEY', 'MESSAGGIO_SENDER']],
  [SmsProviderName.GreenSms]: [['GREEN_SMS_USER', 'GREEN_SMS_PASSWORD'], ['GREEN_SMS_TOKEN']],
  [SmsProviderName.Twilio]: [
    ['TWILIO_ACCOUNT_SID', 'TWILIO_AUTH_TOKEN', 'TWILIO_PHONE_NUMBER'],
    ['TWILIO_ACCOUNT_SID', 'TWILIO_AUTH_TOKEN', 'TWILIO_MESSAGING_SERVICE_SID'],
  ],
  [SmsProviderName.Eskiz]: [['ESKIZ_EMAIL', 'ESKIZ_PASSWORD']],
  [SmsProviderName.Telegram]: [['TELEGRAM_GATEWAY_TOKEN']],
  [SmsProviderName.WhatsApp]: [['WHATSAPP_ACCESS_TOKEN', 'WHATSAPP_PHONE_NUMBER_ID', 'WHATSAPP_TEMPLATE_NAME']],
};
