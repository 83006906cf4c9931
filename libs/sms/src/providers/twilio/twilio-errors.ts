import type { VendorHttp, VendorResponse } from '../../http/vendor-http';
import { SmsProviderError } from '../../sms-provider.error';

/** Twilio's error body: `{code, message, more_info, status}`, plus `detail` on 401. */
interface TwilioErrorBody {
  code?: string;
  message?: string;
  detail?: string;
}

const MAX_VENDOR_TEXT = 200;

/**
 * A non-2xx Twilio reply as a domain error. 429 (20429) and 5xx are `unavailable`; every other 4xx
 * (20003 bad credentials, 20404 unknown message, 21211/21408/21606/21608/21610/21612/21614/21635 …)
 * is `rejected` with Twilio's code. `secrets` are masked out of Twilio's text: its 404 message
 * quotes the request path, which holds the AccountSid.
 */
export function twilioFailure(http: VendorHttp, response: VendorResponse, secrets: string[]): SmsProviderError {
  const error = readTwilioError(response.json);
  const code = error?.code ?? `http_${response.status}`;
  const vendorText = error ? describe(error, secrets) : '';
  if (response.status === 429)
    return new SmsProviderError(
      'unavailable',
      'twilio',
      code,
      `Twilio rate limit reached (HTTP 429, code ${code})${vendorText}`,
    );
  if (response.status >= 500)
    return new SmsProviderError(
      'unavailable',
      'twilio',
      code,
      `Twilio is unavailable (HTTP ${response.status}, code ${code})${vendorText}`,
    );
  if (!error || response.status < 400) return http.malformed(response);
  return new SmsProviderError(
    'rejected',
    'twilio',
    code,
    `Twilio refused the request (HTTP ${response.status}, code ${code})${vendorText}`,
  );
}

function readTwilioError(json: unknown): TwilioErrorBody | null {
  if (!json || typeof json !== 'object' || Array.isArray(json)) return null;
  const { code, message, detail } = json as Record<string, unknown>;
  if (code === undefined && message === undefined) return null;
  return {
    code: typeof code === 'number' || typeof code === 'string' ? String(code) : undefined,
    message: typeof message === 'string' ? message : undefined,
    detail: typeof detail === 'string' ? detail : undefined,
  };
}

function describe({ message, detail }: TwilioErrorBody, secrets: string[]): string {
  const text = [message, detail].filter(Boolean).join(': ');
  if (!text) return '';
  const masked = secrets.filter(Boolean).reduce((result, secret) => result.split(secret).join('***'), text);
  return `: ${masked.slice(0, MAX_VENDOR_TEXT)}`;
}
