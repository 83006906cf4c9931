import { maskSecrets } from '@app/common';
import { DeliveryStatus } from '../../delivery-status';
import { digitsOnly, field } from '../../http/vendor-format';
import {
  type VendorFault,
  VendorHttpClient,
  type VendorRequest,
  type VendorResponse,
} from '../../http/vendor-http-client';
import { SmsProviderError } from '../../sms-provider.error';
import type { DeliveryReport, SmsBalance, SmsMessage, SmsProvider, SmsSendResult } from '../../sms-provider.interface';
import { type HttpAdapterOptions, httpAdapterOptions } from '../provider-options';
import { eskizDeliveryStatus } from './eskiz-status';
import { DeliveryChannel } from '../../delivery-channel';

export interface EskizOptions extends HttpAdapterOptions {
  email: string;
  password: string;
  /** A registered nickname; Eskiz's shared short number `4546` when unset. */
  sender?: string;
  callbackUrl?: string;
}

/** The short number every Eskiz account can send from (the `from` of Eskiz's own examples). */
const DEFAULT_SENDER = '4546';
/** What `fetch` sent for a URLSearchParams body, kept byte for byte. */
const FORM_CONTENT_TYPE = 'application/x-www-form-urlencoded;charset=UTF-8';

/**
 * Eskiz.uz (notify.eskiz.uz/api). Logs in with email and password for a bearer token, kept for the life
 * of the adapter; a 401 means the token expired, so the call logs in once more and is retried once.
 * Bodies are form-encoded. No delivery webhook (its payload is unconfirmed): polled.
 */
export class EskizSmsProvider implements SmsProvider {
  readonly channel = DeliveryChannel.Sms;
  readonly name = 'eskiz';
  private readonly http: VendorHttpClient;
  private token: string | undefined;
  /** The login under way, shared by every call that needs a token meanwhile. */
  private pendingLogin: Promise<string> | undefined;

  constructor(private readonly options: EskizOptions) {
    this.http = new VendorHttpClient({
      provider: this.name,
      vendor: 'Eskiz',
      ...httpAdapterOptions(options),
      serverFault: (response) => this.fault(response),
    });
  }

  async send({ to, text }: SmsMessage): Promise<SmsSendResult> {
    const fields = new URLSearchParams({
      mobile_phone: digitsOnly(to),
      message: text,
      from: this.options.sender ?? DEFAULT_SENDER,
    });
    if (this.options.callbackUrl) fields.set('callback_url', this.options.callbackUrl);
    const response = await this.authorized({
      method: 'POST',
      path: '/message/sms/send',
      headers: { 'Content-Type': FORM_CONTENT_TYPE },
      body: fields.toString(),
    });
    const id = field(response.json, 'id');
    if ((typeof id !== 'string' && typeof id !== 'number') || id === '') throw this.http.malformed(response);
    const status = field(response.json, 'status');
    return {
      messageId: String(id),
      status: typeof status === 'string' ? eskizDeliveryStatus(status) : DeliveryStatus.Queued,
    };
  }

  async fetchStatus(messageId: string): Promise<DeliveryReport> {
    const response = await this.authorized({
      method: 'GET',
      path: `/message/sms/status_by_id/${encodeURIComponent(messageId)}`,
    });
    const status = field(field(response.json, 'data'), 'status');
    if (typeof status !== 'string') throw this.http.malformed(response);
    return { messageId, status: eskizDeliveryStatus(status), providerStatus: status, errorCode: null };
  }

  async fetchBalance(): Promise<SmsBalance> {
    const response = await this.authorized({ method: 'GET', path: '/user/get-limit' });
    const balance = field(field(response.json, 'data'), 'balance');
    if (typeof balance !== 'string' && typeof balance !== 'number') throw this.http.malformed(response);
    // Eskiz bills in UZS, but the reply does not say so and providers.md does not state it.
    return { balance: String(balance), currency: null };
  }

  private async authorized(request: VendorRequest): Promise<VendorResponse> {
    const token = await this.currentToken();
    let response = await this.callWithToken(request, token);
    if (response.status === 401) response = await this.callWithToken(request, await this.renewedToken(token));
    return this.accepted(response, `the call ${request.path}`);
  }

  private callWithToken(request: VendorRequest, token: string): Promise<VendorResponse> {
    const headers = { ...request.headers, Accept: 'application/json', Authorization: `Bearer ${token}` };
    return this.http.request({ ...request, headers });
  }

  private currentToken(): Promise<string> {
    return this.token ? Promise.resolve(this.token) : this.logIn();
  }

  /** After a 401: logs in again, unless a concurrent call already replaced the stale token. */
  private renewedToken(staleToken: string): Promise<string> {
    if (this.token === staleToken) this.token = undefined;
    return this.currentToken();
  }

  private logIn(): Promise<string> {
    this.pendingLogin ??= this.requestToken().finally(() => {
      this.pendingLogin = undefined;
    });
    return this.pendingLogin;
  }

  private async requestToken(): Promise<string> {
    const credentials = new URLSearchParams({ email: this.options.email, password: this.options.password });
    const response = await this.http.request({
      method: 'POST',
      path: '/auth/login',
      headers: { 'Content-Type': FORM_CONTENT_TYPE, Accept: 'application/json' },
      body: credentials.toString(),
    });
    this.accepted(response, 'the login');
    const token = field(field(response.json, 'data'), 'token');
    // Nothing was sent yet, so even an unreadable 2xx login reply is a definite failure.
    if (typeof token !== 'string' || token === '') throw this.http.malformed(response, true);
    this.token = token;
    return token;
  }

  /** 2xx passes; 429 is an outage (as is a 5xx, which the HTTP client maps through `fault`); other 4xx refuse. */
  private accepted(response: VendorResponse, action: string): VendorResponse {
    if (response.status >= 200 && response.status < 300) return response;
    const { code, detail } = this.fault(response);
    const explained = detail ? `: ${detail}` : '';
    if (response.status === 429) {
      throw new SmsProviderError('unavailable', this.name, code, `Eskiz is unavailable (HTTP ${code})${explained}`);
    }
    if (response.status >= 400)
      throw new SmsProviderError('rejected', this.name, code, `Eskiz refused ${action} (HTTP ${code})${explained}`);
    throw this.http.malformed(response);
  }

  /** Eskiz has no error codes of its own: the HTTP status, and its `message` with any credential masked. */
  private fault(response: VendorResponse): VendorFault {
    const message = field(response.json, 'message');
    if (typeof message !== 'string' || message === '') return { code: String(response.status) };
    const detail = maskSecrets(message, [this.options.password, this.options.email, this.token]);
    return { code: String(response.status), detail };
  }
}
