import { maskSecrets } from '@app/common';
import { isRecord } from '../../http/vendor-format';
import type { VendorFault, VendorHttpClient, VendorResponse } from '../../http/vendor-http-client';
import { SmsProviderError } from '../../sms-provider.error';

/** Twilio's error body: `{code, message, more_info, status}`, plus `detail` on 401. */
interface TwilioErrorBody {
  code?: string;
  message?: string;
  detail?: string;
}

const MAX_VENDOR_TEXT = 200;

/**
 * Twilio's code and text in a failed reply (`http_<status>` when the body has none). `secrets` are masked
 * out of Twilio's text: its 404 message quotes the request path, which holds the AccountSid.
 */
export function twilioFault(response: VendorResponse, secrets: string[]): VendorFault {
  return faultOf(readTwilioError(response.json), response.status, secrets);
}

/**
 * A non-2xx Twilio reply below 500 as a domain error (the HTTP client maps 5xx, through `twilioFault`).
 * 429 (20429) is `unavailable`; every other 4xx (20003 bad credentials, 20404 unknown message,
 * 21211/21408/21606/21608/21610/21612/21614/21635 …) is `rejected` with Twilio's code.
 */
export function twilioFailure(http: VendorHttpClient, response: VendorResponse, secrets: string[]): SmsProviderError {
  const error = readTwilioError(response.json);
  const { code, detail } = faultOf(error, response.status, secrets);
  const vendorText = detail ? `: ${detail}` : '';
  if (response.status === 429)
    return new SmsProviderError(
      'unavailable',
      'twilio',
      code,
      `Twilio rate limit reached (HTTP 429, code ${code})${vendorText}`,
    );
  if (!error || response.status < 400) return http.malformed(response);
  return new SmsProviderError(
    'rejected',
    'twilio',
    code,
    `Twilio refused the request (HTTP ${response.status}, code ${code})${vendorText}`,
  );
}

function faultOf(error: TwilioErrorBody | null, status: number, secrets: string[]): VendorFault {
  return { code: error?.code ?? `http_${status}`, detail: error ? describe(error, secrets) : undefined };
}

function readTwilioError(json: unknown): TwilioErrorBody | null {
  if (!isRecord(json)) return null;
  const { code, message, detail } = json;
  if (code === undefined && message === undefined) return null;
  return {
    code: typeof code === 'number' || typeof code === 'string' ? String(code) : undefined,
    message: typeof message === 'string' ? message : undefined,
    detail: typeof detail === 'string' ? detail : undefined,
  };
}

function describe({ message, detail }: TwilioErrorBody, secrets: string[]): string | undefined {
  const text = [message, detail].filter(Boolean).join(': ');
  if (!text) return undefined;
  return maskSecrets(text, secrets).slice(0, MAX_VENDOR_TEXT);
}
