import { DeliveryStatus } from '../../delivery-status';
import { digitsOnly, type FetchLike, field, VendorHttp, type VendorResponse } from '../../http/vendor-http';
import { SmsProviderError } from '../../sms-provider.error';
import type { DeliveryReport, SmsBalance, SmsMessage, SmsProvider, SmsSendResult } from '../../sms-provider.interface';
import type { HttpAdapterOptions } from '../provider-options';
import { greenSmsDeliveryStatus } from './greensms-status';

/** Either `token` (sent as a Bearer header) or `user` + `password` (sent as `user`/`pass` parameters). */
export interface GreenSmsOptions extends HttpAdapterOptions {
  user?: string;
  password?: string;
  token?: string;
  sender?: string;
}

/** Codes meaning "this request was refused" (providers.md §3); any other code is a fault on GreenSMS's side. */
const REFUSAL_CODES = new Set(['0', '-1', '1', '2', '404']);

interface GreenSmsErrorBody {
  error: string;
  code: string | null;
}

/**
 * GreenSMS (api3.greensms.ru). Calls follow the PHP SDK v4: POST with a JSON body, GET with a query string;
 * `user`/`pass` travel with the parameters unless a token is configured. No delivery webhook: polled.
 */
export class GreenSmsProvider implements SmsProvider {
  readonly name = 'greensms';
  private readonly http: VendorHttp;

  constructor(
    private readonly options: GreenSmsOptions,
    fetchImpl?: FetchLike,
  ) {
    if (!options.token && !(options.user && options.password)) {
      throw new Error('GreenSMS needs a token, or a user and a password');
    }
    this.http = new VendorHttp(this.name, options.timeoutMs, fetchImpl);
  }

  async send({ to, text }: SmsMessage): Promise<SmsSendResult> {
    const sender: Record<string, string> = this.options.sender ? { from: this.options.sender } : {};
    const response = await this.post('/sms/send', { to: digitsOnly(to), txt: text, ...sender });
    const requestId = field(response.json, 'request_id');
    if (typeof requestId !== 'string' || requestId === '') throw this.http.malformed(response);
    return { messageId: requestId, status: DeliveryStatus.Queued };
  }

  async fetchStatus(messageId: string): Promise<DeliveryReport> {
    const response = await this.get('/sms/status', { id: messageId, extended: 'true' });
    const status = field(response.json, 'status');
    if (typeof status !== 'string' && typeof status !== 'number') throw this.http.malformed(response);
    const providerStatus = String(status);
    return { messageId, status: greenSmsDeliveryStatus(providerStatus), providerStatus, errorCode: null };
  }

  async fetchBalance(): Promise<SmsBalance> {
    const response = await this.get('/account/balance', {});
    const balance = field(response.json, 'balance');
    if (typeof balance !== 'string' && typeof balance !== 'number') throw this.http.malformed(response);
    // GreenSMS states no currency.
    return { balance: String(balance), currency: null };
  }

  private async post(path: string, params: Record<string, string>): Promise<VendorResponse> {
    const response = await this.http.request(`${this.options.baseUrl}${path}`, {
      method: 'POST',
      headers: { ...this.authorizationHeader(), 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify({ ...this.credentialParams(), ...params }),
    });
    return this.accepted(response);
  }

  private async get(path: string, params: Record<string, string>): Promise<VendorResponse> {
    const query = new URLSearchParams({ ...this.credentialParams(), ...params }).toString();
    const url = `${this.options.baseUrl}${path}${query ? `?${query}` : ''}`;
    const headers = { ...this.authorizationHeader(), Accept: 'application/json' };
    const response = await this.http.request(url, { method: 'GET', headers });
    return this.accepted(response);
  }

  private authorizationHeader(): Record<string, string> {
    return this.options.token ? { Authorization: `Bearer ${this.options.token}` } : {};
  }

  private credentialParams(): Record<string, string> {
    return this.options.token ? {} : { user: this.options.user!, pass: this.options.password! };
  }

  /** Both SDKs treat a body with `error` as a failure whatever the HTTP status; 429 and 5xx are outages first. */
  private accepted(response: VendorResponse): VendorResponse {
    const error = errorBody(response.json);
    if (response.status === 429 || response.status >= 500) {
      const detail = error ? `: ${this.redact(error.error)}` : '';
      const code = error?.code ?? String(response.status);
      throw new SmsProviderError(
        'unavailable',
        this.name,
        code,
        `GreenSMS is unavailable (HTTP ${response.status})${detail}`,
      );
    }
    if (error) throw this.refusalOrFault(error);
    if (response.status >= 300) throw this.http.malformed(response);
    return response;
  }

  private refusalOrFault({ error, code }: GreenSmsErrorBody): SmsProviderError {
    const text = `${this.redact(error)} (code ${code ?? 'none'})`;
    return code !== null && REFUSAL_CODES.has(code)
      ? new SmsProviderError('rejected', this.name, code, `GreenSMS refused the request: ${text}`)
      : new SmsProviderError('unavailable', this.name, code, `GreenSMS failed: ${text}`);
  }

  /** Vendor texts are passed on to operators; make sure none of them can echo a credential back. */
  private redact(text: string): string {
    const secrets = [this.options.password, this.options.token, this.options.user].filter(
      (secret): secret is string => !!secret,
    );
    return secrets.reduce((result, secret) => result.split(secret).join('***'), text);
  }
}

function errorBody(json: unknown): GreenSmsErrorBody | null {
  const error = field(json, 'error');
  if (error === undefined || error === null) return null;
  const code = field(json, 'code');
  return { error: String(error), code: typeof code === 'number' || typeof code === 'string' ? String(code) : null };
}
