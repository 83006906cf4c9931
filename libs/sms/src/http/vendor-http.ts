import { SmsProviderError } from '../sms-provider.error';

export interface VendorResponse {
  status: number;
  headers: Headers;
  text: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  json: unknown;
}

export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

/**
 * HTTP to one vendor with a hard timeout. Network failures become `SmsProviderError('unavailable')`
 * with provider codes `timeout` / `connection_failed`; interpreting replies is the adapter's job.
 * Never logs: URLs may carry API keys.
 */
export class VendorHttp {
  constructor(
    private readonly provider: string,
    private readonly timeoutMs: number,
    private readonly fetchImpl: FetchLike = fetch,
  ) {}

  async request(url: string, init: RequestInit = {}): Promise<VendorResponse> {
    let response: Response;
    try {
      response = await this.fetchImpl(url, {
        ...init,
        signal: AbortSignal.timeout(this.timeoutMs),
        redirect: 'manual',
      });
    } catch (error) {
      const timedOut = (error as Error)?.name === 'TimeoutError' || (error as Error)?.name === 'AbortError';
      throw timedOut
        ? new SmsProviderError(
            'unavailable',
            this.provider,
            'timeout',
            `${this.provider} did not answer within ${this.timeoutMs} ms`,
          )
        : new SmsProviderError(
            'unavailable',
            this.provider,
            'connection_failed',
            `${this.provider} could not be reached`,
          );
    }
    let text: string;
    try {
      text = await response.text();
    } catch {
      throw new SmsProviderError(
        'unavailable',
        this.provider,
        'timeout',
        `${this.provider} did not finish its reply within ${this.timeoutMs} ms`,
        response.status >= 400,
      );
    }
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    return { status: response.status, headers: response.headers, text, json };
  }

  /** The error for a reply that cannot be read: definite only when the status already said "not accepted". */
  malformed(response: VendorResponse): SmsProviderError {
    return new SmsProviderError(
      'unavailable',
      this.provider,
      'malformed_response',
      `${this.provider} answered HTTP ${response.status} with a body that could not be read`,
      response.status >= 400,
    );
  }
}

/** `+77001234567` → `77001234567`, the form most vendors want. */
export function digitsOnly(e164: string): string {
  return e164.replace(/\D/g, '');
}

/** A JSON object (not null, not an array): vendor replies are checked with this before reading fields. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A field of a JSON object reply, or undefined when the reply is not an object. */
export function field(json: unknown, key: string): unknown {
  return isRecord(json) ? json[key] : undefined;
}
