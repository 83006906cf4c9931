import { SmsProviderError } from '@app/sms';

/** The SmsProviderError a vendor call rejected with (the test fails if it resolved or threw anything else). */
export async function failureOf(call: Promise<unknown>): Promise<SmsProviderError> {
  const error = await call.then(
    () => new Error('expected the call to fail'),
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(SmsProviderError);
  return error as SmsProviderError;
}

/** No credential may reach an error's message or details (they end up in responses, logs and audit rows). */
export function expectNoCredentials(error: SmsProviderError, ...credentials: string[]): void {
  for (const credential of credentials) {
    expect(error.message).not.toContain(credential);
    expect(JSON.stringify(error.details)).not.toContain(credential);
  }
}
