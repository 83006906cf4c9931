import { maskSecrets } from '@app/common';
import { DeliveryStatus } from '../../delivery-status';
import { digitsOnly, field, scalarText } from '../../http/vendor-format';
import { type VendorFault, VendorHttpClient, type VendorResponse } from '../../http/vendor-http-client';
import { SmsProviderError } from '../../sms-provider.error';
import type { DeliveryReport, SmsBalance, SmsMessage, SmsProvider, SmsSendResult } from '../../sms-provider.interface';
import { type HttpAdapterOptions, httpAdapterOptions } from '../provider-options';
import { greenSmsDeliveryStatus } from './greensms-status';
import { DeliveryChannel } from '../../delivery-channel';

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
  readonly channel = DeliveryChannel.Sms;
  readonly name = 'greensms';
  private readonly http: VendorHttpClient;

  constructor(private readonly options: GreenSmsOptions) {
    if (!options.token && !(options.user && options.password)) {
      throw new Error('GreenSMS needs a token, or a user and a password');
    }
    this.http = new VendorHttpClient({
      provider: this.name,
      vendor: 'GreenSMS',
      ...httpAdapterOptions(options),
      serverFault: (response) => this.fault(response),
    });
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
    const response = await this.http.request({
      method: 'POST',
      path,
      headers: { ...this.authorizationHeader(), 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify({ ...this.credentialParams(), ...params }),
    });
    return this.accepted(response);
  }

  private async get(path: string, params: Record<string, string>): Promise<VendorResponse> {
    const query = new URLSearchParams({ ...this.credentialParams(), ...params }).toString();
    const headers = { ...this.authorizationHeader(), Accept: 'application/json' };
    const response = await this.http.request({ method: 'GET', path: `${path}${query ? `?${query}` : ''}`, headers });
    return this.accepted(response);
  }

  private authorizationHeader(): Record<string, string> {
    return this.options.token ? { Authorization: `Bearer ${this.options.token}` } : {};
  }

  private credentialParams(): Record<string, string> {
    return this.options.token ? {} : { user: this.options.user!, pass: this.options.password! };
  }

  /**
   * Both SDKs treat a body with `error` as a failure whatever the HTTP status; 429 is an outage first, as is
   * a 5xx (which the HTTP client maps, through `fault`).
   */
  private accepted(response: VendorResponse): VendorResponse {
    const error = errorBody(response.json);
    if (response.status === 429) {
      const { code, detail } = this.fault(response);
      const message = `GreenSMS is unavailable (HTTP 429)${detail ? `: ${detail}` : ''}`;
      throw new SmsProviderError('unavailable', this.name, code, message);
    }
    if (error) throw this.refusalOrFault(error);
    if (response.status >= 300) throw this.http.malformed(response);
    return response;
  }

  /** The `error` body's code and text, else the HTTP status. */
  private fault(response: VendorResponse): VendorFault {
    const error = errorBody(response.json);
    return { code: error?.code ?? String(response.status), detail: error ? this.redact(error.error) : undefined };
  }

  private refusalOrFault({ error, code }: GreenSmsErrorBody): SmsProviderError {
    const text = `${this.redact(error)} (code ${code ?? 'none'})`;
    return code !== null && REFUSAL_CODES.has(code)
      ? new SmsProviderError('rejected', this.name, code, `GreenSMS refused the request: ${text}`)
      : new SmsProviderError('unavailable', this.name, code, `GreenSMS failed: ${text}`);
  }

  /** Vendor texts are passed on to operators; make sure none of them can echo a credential back. */
  private redact(text: string): string {
    return maskSecrets(text, [this.options.password, this.options.token, this.options.user]);
  }
}

function errorBody(json: unknown): GreenSmsErrorBody | null {
  const error = field(json, 'error');
  if (error === undefined || error === null) return null;
  const code = field(json, 'code');
  return {
    // A non-text `error` (an object of field errors) still marks a failure; its text is then the JSON.
    error: scalarText(error) ?? JSON.stringify(error),
    code: typeof code === 'number' || typeof code === 'string' ? String(code) : null,
  };
}
