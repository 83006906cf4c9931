import { maskSecrets } from '@app/common';
import { isRecord, scalarText } from '../../http/vendor-format';
import type { VendorFault, VendorHttpClient, VendorResponse } from '../../http/vendor-http-client';
import { SmsProviderError } from '../../sms-provider.error';

/**
 * The Graph API error body (providers.md §7; confirmed in Meta's "WhatsApp error codes" page):
 * `{"error":{"message","type":"OAuthException","code":<int>,"error_data"?:{"details"},"fbtrace_id"}}`
 * (plus `error_subcode`, which we do not need). Meta recommends branching on `code` and `details`, never on titles.
 */
interface GraphError {
  code: string;
  message?: string;
  details?: string;
}

/**
 * Codes that mean "not now" rather than "not this": throughput and rate limits (4 app calls, 80007 WABA,
 * 130429 Cloud API throughput, 131048 spam rate limit, 131056 business/consumer pair) and Meta's own
 * service errors (1, 2, 131000). Everything else Meta refuses (190 token, 100/131009 parameter,
 * 132000/132001 template, 131026 undeliverable, 131047/131051, 368/131031 account) is `rejected`.
 */
const UNAVAILABLE_CODES: ReadonlySet<string> = new Set([
  '1',
  '2',
  '4',
  '80007',
  '130429',
  '131000',
  '131048',
  '131056',
]);

const MAX_VENDOR_TEXT = 200;

/** Meta's code and text in a 5xx reply (`http_<status>` without a Graph error body). */
export function graphFault(response: VendorResponse, secrets: string[]): VendorFault {
  const error = readGraphError(response.json);
  return { code: error?.code ?? `http_${response.status}`, detail: error ? describe(error, secrets) : undefined };
}

/**
 * A refused send (any reply below 500 that is not a success) as a domain error. Both kinds are definite:
 * a Graph error means Meta did not take the message, so the next link of the chain may send at once.
 */
export function graphFailure(http: VendorHttpClient, response: VendorResponse, secrets: string[]): SmsProviderError {
  const error = readGraphError(response.json);
  if (!error) return http.malformed(response, true);
  const text = describe(error, secrets);
  const vendorText = text ? `: ${text}` : '';
  if (UNAVAILABLE_CODES.has(error.code)) {
    return new SmsProviderError(
      'unavailable',
      'whatsapp',
      error.code,
      `WhatsApp is rate limited or unavailable (HTTP ${response.status}, code ${error.code})${vendorText}`,
    );
  }
  return new SmsProviderError(
    'rejected',
    'whatsapp',
    error.code,
    `WhatsApp refused the message (HTTP ${response.status}, code ${error.code})${vendorText}`,
  );
}

function readGraphError(json: unknown): GraphError | null {
  const error = isRecord(json) ? json.error : undefined;
  if (!isRecord(error)) return null;
  const code = scalarText(error.code);
  if (!code) return null;
  const details = isRecord(error.error_data) ? scalarText(error.error_data.details) : null;
  return {
    code,
    message: typeof error.message === 'string' ? error.message : undefined,
    details: details ?? undefined,
  };
}

function describe({ message, details }: GraphError, secrets: string[]): string | undefined {
  const text = [message, details].filter(Boolean).join(': ');
  if (!text) return undefined;
  return maskSecrets(text, secrets).slice(0, MAX_VENDOR_TEXT);
}
