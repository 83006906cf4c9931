/** Every SMS provider sms-auth can be configured with. A new vendor adds its name here and an adapter in `@app/sms`. */
export enum SmsProviderName {
  Console = 'console',
}

export const SMS_PROVIDER_NAMES: readonly string[] = Object.values(SmsProviderName);
