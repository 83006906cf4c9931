import { addAbortSignal, type Readable } from 'node:stream';
import { text as readText } from 'node:stream/consumers';
import axios, { type AxiosInstance } from 'axios';
import { stopwatch } from '@app/metrics';
import { SmsProviderError } from '../sms-provider.error';

/** One request to a vendor, built by its adapter. */
export interface VendorRequest {
  method: 'GET' | 'POST';
  /** The path after the vendor's base URL, with any query string already encoded. */
  path: string;
  headers?: Record<string, string>;
  /** Sent byte for byte as given: the adapter encodes it and sets its Content-Type. */
  body?: string;
}

/** A vendor's reply, whatever its status. */
export interface VendorResponse {
  status: number;
  text: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  json: unknown;
}

/** A vendor's own reading of a failed reply: its error code, and its explanation with credentials masked. */
export interface VendorFault {
  code: string;
  detail?: string;
}

/** How one HTTP call to a vendor ended: a reply (any status below 500), or the failure it was mapped to. */
export type VendorCallOutcome = 'reply' | 'server_error' | 'timeout' | 'connection_failed';

export type VendorCallObserver = (call: { provider: string; outcome: VendorCallOutcome; seconds: number }) => void;

export interface VendorHttpClientOptions {
  /** The provider's name: the `provider` of every error. */
  provider: string;
  /** The vendor's name as people spell it, for messages ("GreenSMS"). */
  vendor: string;
  /** Everything before the vendor's own paths, without a trailing slash. */
  baseUrl: string;
  /** The whole call, from connecting to the last byte of the reply (SMS_PROVIDER_TIMEOUT_MS). */
  timeoutMs: number;
  /** Reads the vendor's code out of an HTTP 5xx reply; `http_<status>` without it. */
  serverFault?: (response: VendorResponse) => VendorFault;
  /** Told how every call ended and how long it took, for the metrics. */
  observeCall?: VendorCallObserver;
}

/** Failure codes that name the cause without quoting the request (no URL, no header). */
const SAFE_ERROR_CODE = /^[A-Z][A-Z0-9_]{1,39}$/;

/**
 * HTTP to one vendor through its own axios instance. This is the one place that owns the timeout, refuses
 * redirects, reads the reply (as text, then JSON when it parses) and maps what no adapter can interpret:
 * no answer (`timeout`), no connection (`connection_failed`), HTTP 5xx (the vendor's code via `serverFault`)
 * and replies that cannot be read (`malformed_response`), all `SmsProviderError('unavailable')`.
 * Any other reply, 4xx included, goes back to the adapter, which reads the vendor's own error codes.
 *
 * Never logs, and never lets an axios error out: those carry the request config, whose URL may hold an
 * API key and whose headers hold tokens. Callers only ever see an SmsProviderError built here.
 */
export class VendorHttpClient {
  private readonly axios: AxiosInstance;

  constructor(private readonly options: VendorHttpClientOptions) {
    this.axios = axios.create({
      baseURL: options.baseUrl,
      // A vendor redirecting is a misconfiguration to see, not to follow (a redirect may also replay credentials).
      maxRedirects: 0,
      // Every status is a reply for the adapter to read; only transport failures reject.
      validateStatus: () => true,
      // The body is read here, under the same deadline as the request (axios' `timeout` stops at the headers).
      responseType: 'stream',
      // Adapters hand over the exact bytes (form or JSON strings); axios must not re-encode them.
      transformRequest: [(data: unknown) => data],
      decompress: true,
      // Vendors are called directly, as `fetch` did: HTTP(S)_PROXY from the environment is not used.
      proxy: false,
    });
  }

  /** Sends the request; resolves with any reply below 500, rejects with an SmsProviderError otherwise. */
  async request(request: VendorRequest): Promise<VendorResponse> {
    const elapsed = stopwatch();
    const observe = (outcome: VendorCallOutcome) =>
      this.options.observeCall?.({ provider: this.options.provider, outcome, seconds: elapsed() });
    try {
      const response = await this.exchange(request);
      observe('reply');
      return response;
    } catch (error) {
      const code = error instanceof SmsProviderError ? error.providerCode : undefined;
      observe(code === 'timeout' || code === 'connection_failed' ? code : 'server_error');
      throw error;
    }
  }

  private async exchange({ method, path, headers, body }: VendorRequest): Promise<VendorResponse> {
    const deadline = AbortSignal.timeout(this.options.timeoutMs);
    let status: number;
    let stream: Readable;
    try {
      const reply = await this.axios.request<Readable>({ method, url: path, headers, data: body, signal: deadline });
      status = reply.status;
      stream = reply.data;
    } catch (error) {
      throw this.transportFailure(error, deadline);
    }
    let text: string;
    try {
      text = await readText(addAbortSignal(deadline, stream));
    } catch (error) {
      throw this.unfinishedReply(error, deadline, status);
    }
    const response: VendorResponse = { status, text, json: parseJson(text) };
    if (status >= 500) throw this.serverError(response);
    return response;
  }

  /**
   * The error for a reply the adapter cannot read (not JSON, or lacking what it must hold). Definite by
   * default only when the status already said "not accepted": after a 2xx the message may be on its way.
   * An adapter passes `definite` when the call could not have sent anything (a login).
   */
  malformed(response: VendorResponse, definite = response.status >= 400): SmsProviderError {
    return new SmsProviderError(
      'unavailable',
      this.options.provider,
      'malformed_response',
      `${this.options.vendor} answered HTTP ${response.status} with a reply that could not be read`,
      definite,
    );
  }

  /** No reply at all: nothing reached the vendor, or it never answered, so the next provider may send. */
  private transportFailure(error: unknown, deadline: AbortSignal): SmsProviderError {
    const { provider, vendor, timeoutMs } = this.options;
    if (timedOut(error, deadline)) {
      const message = `${vendor} did not answer within ${timeoutMs} ms`;
      return new SmsProviderError('unavailable', provider, 'timeout', message);
    }
    const cause = safeErrorCode(error);
    return new SmsProviderError(
      'unavailable',
      provider,
      'connection_failed',
      `${vendor} could not be reached${cause ? ` (${cause})` : ''}`,
    );
  }

  /** The status arrived but the body did not: definite only when the status already refused the request. */
  private unfinishedReply(error: unknown, deadline: AbortSignal, status: number): SmsProviderError {
    const { provider, vendor, timeoutMs } = this.options;
    const definite = status >= 400;
    if (timedOut(error, deadline)) {
      const message = `${vendor} did not finish its HTTP ${status} reply within ${timeoutMs} ms`;
      return new SmsProviderError('unavailable', provider, 'timeout', message, definite);
    }
    const message = `${vendor} broke off its HTTP ${status} reply`;
    return new SmsProviderError('unavailable', provider, 'connection_failed', message, definite);
  }

  private serverError(response: VendorResponse): SmsProviderError {
    const { status } = response;
    const fault = this.options.serverFault?.(response) ?? { code: `http_${status}` };
    const code = fault.code === String(status) || fault.code === `http_${status}` ? '' : `, code ${fault.code}`;
    const detail = fault.detail ? `: ${fault.detail}` : '';
    return new SmsProviderError(
      'unavailable',
      this.options.provider,
      fault.code,
      `${this.options.vendor} is unavailable (HTTP ${status}${code})${detail}`,
    );
  }
}

function parseJson(text: string): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function timedOut(error: unknown, deadline: AbortSignal): boolean {
  return deadline.aborted || errorCode(error) === 'ETIMEDOUT';
}

function errorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('code' in error)) return undefined;
  return typeof error.code === 'string' ? error.code : undefined;
}

/** The error's code (ECONNREFUSED, ENOTFOUND, …) when it is one: never its message, which may quote the URL. */
function safeErrorCode(error: unknown): string | undefined {
  const code = errorCode(error);
  return code && SAFE_ERROR_CODE.test(code) ? code : undefined;
}
