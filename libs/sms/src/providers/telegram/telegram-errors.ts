import { SmsProviderError } from '../../sms-provider.error';

const PROVIDER = 'telegram';

/** The recipient has no Telegram account, or it cannot receive Gateway messages: the next link of the chain sends. */
export const NOT_ON_TELEGRAM = new Set(['PHONE_NUMBER_NOT_AVAILABLE', 'PHONE_NUMBER_NOT_FOUND']);

/** `FLOOD_WAIT_<seconds>`: matched by prefix, as the SDKs do (apifonica/tg-gateway-go, skewb1k/tg-gateway-go). */
const FLOOD_WAIT = /^FLOOD_WAIT(?:_(\d+))?$/;

/** Telegram's error strings are upper-case words; anything else is not quoted into our errors. */
const ERROR_WORD = /^[A-Z][A-Z0-9_]{1,63}$/;

/** The `error` string of an `ok:false` reply, if it reads as one. */
export function telegramErrorWord(value: unknown): string | null {
  return typeof value === 'string' && ERROR_WORD.test(value) ? value : null;
}

/**
 * An `{ok:false, error}` reply as a domain error. The envelope (`ok`/`error`) is confirmed in
 * core.telegram.org/gateway/api ("Making requests"); the error strings come from the SDKs' lists
 * (apifonica/tg-gateway-go and skewb1k/tg-gateway-go `errors.go`), the docs name only ACCESS_TOKEN_INVALID.
 *
 * The docs say a failed request is not charged and nothing is sent, so every refusal is definite (the next
 * link may send), with two exceptions: MESSAGE_ALREADY_SENT (a message did go out) is not definite, and
 * FLOOD_WAIT_n / HTTP 429 are `unavailable` (rate limit: try later) yet still definite, since Telegram
 * refused this message: the SMS link behind it should carry the code now rather than the user waiting.
 * Everything else (not on Telegram, invalid number, bad token, balance, sender, ttl, callback URL) is
 * `rejected`.
 */
export function telegramFailure(error: string | null, httpStatus: number): SmsProviderError {
  const code = error ?? `http_${httpStatus}`;
  const flood = error ? FLOOD_WAIT.exec(error) : null;
  if (flood || httpStatus === 429) {
    const wait = flood?.[1] ? ` for ${flood[1]} s` : '';
    return new SmsProviderError('unavailable', PROVIDER, code, `Telegram Gateway rate limit reached${wait} (${code})`);
  }
  if (error && NOT_ON_TELEGRAM.has(error)) {
    return new SmsProviderError(
      'rejected',
      PROVIDER,
      error,
      `Telegram cannot deliver to this number: it has no Telegram account or cannot receive codes (${error})`,
    );
  }
  if (error === 'MESSAGE_ALREADY_SENT') {
    return new SmsProviderError(
      'rejected',
      PROVIDER,
      error,
      'Telegram Gateway says the message was already sent',
      false,
    );
  }
  return new SmsProviderError(
    'rejected',
    PROVIDER,
    code,
    `Telegram Gateway refused the request (HTTP ${httpStatus}, ${code})`,
  );
}
